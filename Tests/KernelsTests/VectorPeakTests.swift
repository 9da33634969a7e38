@testable import Kernels
import XCTest

/// The register-only loops `bench-kernels` measures the vector peaks with.
final class VectorPeakTests: XCTestCase {
    /// Twelve zmm instructions an iteration: 16 lanes of 4 byte products (`vpdpbusd`), 2 bf16
    /// products (`vdpbf16ps`) or 1 fp32 product (`vfmadd231ps`), two operations each.
    func testOperationsPerIterationCountTwelveInstructions() {
        XCTAssertEqual(VectorPeak.int8Dot.operationsPerIteration, 12 * 16 * 4 * 2)
        XCTAssertEqual(VectorPeak.bf16Dot.operationsPerIteration, 12 * 16 * 2 * 2)
        XCTAssertEqual(VectorPeak.fma.operationsPerIteration, 12 * 16 * 1 * 2)
    }

    /// Each loop the CPU has runs (and is named as the kernel report names it); the rest say why not.
    func testAvailableLoopsRun() {
        for loop in [VectorPeak.fma, .bf16Dot, .int8Dot] {
            guard loop.isAvailable else {
                print("VectorPeakTests: skipped \(loop.instruction): this CPU lacks it on AVX-512 (features: \(CPUFeatures.detected))")
                continue
            }
            loop.run(iterations: 1000)
        }
        if KernelPath.selected.usesVNNIKernels { XCTAssertTrue(VectorPeak.int8Dot.isAvailable) }
    }
}
