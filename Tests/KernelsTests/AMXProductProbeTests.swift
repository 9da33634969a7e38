import CKernels
@testable import Kernels
import Tensors
import TestSupport
import XCTest

/// `AMXProductProbe` on the tile model: `whole` is the engine's product bit for bit, the parts that
/// leave out the store leave `out` untouched, and the probe's block choices read what they say.
extension BFloat16DotMatMulTests {
    func testAMXProductProbesOnTheTileModel() {
        let (t, k, n) = (64, 96, 64)
        let (x, w) = inputs(t, k, n)
        let engine = amxProduct(x, rows: t, w, tiles: .model)
        x.withUnsafeBufferPointer { xp in
            let run = AMXProductProbeRun(x: xp.baseAddress!, rows: t, k: k, tiles: .model)
            for probe in AMXProductProbe.allCases {
                var out = [Float](repeating: 7, count: t * n)
                out.withUnsafeMutableBufferPointer { run.multiply(probe, weight: w, into: $0.baseAddress!) }
                if probe == .whole {
                    XCTAssertEqual(out, engine, "\(probe)")
                } else {
                    XCTAssertTrue(out.allSatisfy { $0 == 7 }, "\(probe) wrote its output")
                }
            }
            // The block choices alone (with the store): weights from block 0 make output n that of
            // weight row n % 32; activations from block 0 make row t that of row t % 32.
            for (flag, expected) in [
                (MINIMAX_AMX_PROBE_SAME_WEIGHTS, { (row: Int, column: Int) in engine[row * n + column % 32] }),
                (MINIMAX_AMX_PROBE_SAME_ACTIVATIONS, { (row: Int, column: Int) in engine[(row % 32) * n + column] }),
            ] {
                var out = [Float](repeating: 7, count: t * n)
                out.withUnsafeMutableBufferPointer { op in
                    w.base.withMemoryRebound(to: UInt16.self, capacity: n * k) { weights in
                        run.packed.withMemoryRebound(to: UInt32.self, capacity: 1) { packed in
                            ScratchMemory.withBuffer(of: UInt16.self, count: minimax_amx_bf16_chunk_rows(k) * 96) { scratch in
                                minimax_amx_bf16_product(packed, t, k, weights, 0, n, op.baseAddress!, n, scratch,
                                                               AMXTiles.model.code, Int32(flag))
                            }
                        }
                    }
                }
                for row in 0..<t {
                    for column in 0..<n {
                        XCTAssertEqual(out[row * n + column], expected(row, column), "probe flag \(flag) at (\(row), \(column))")
                    }
                }
            }
        }
    }
}
