import CKernels
import Foundation
import Tensors

/// Which tiles an AMX product runs on, and the thread split both AMX products share.
public enum AMXTiles: Sendable {
    /// The AMX instructions (only where `KernelPath` says the tiles are usable).
    case hardware
    /// The software model of the tile registers: the same kernel code on any CPU (tests; slow).
    case model

    /// For tests: the AMX products run on the tile model as if this CPU had AMX tiles, so the
    /// engine's AMX dispatch (tiled rows to the tiles, single rows to the kernels below) is
    /// exercised on any CPU. Set it before a test's products and reset it after.
    public nonisolated(unsafe) static var simulated = false

    /// The tiles a product runs on when the caller names none.
    static var standard: AMXTiles { simulated ? .model : .hardware }

    /// The C kernels' selector.
    var code: Int32 { Int32(self == .hardware ? MINIMAX_AMX_TILES_HARDWARE : MINIMAX_AMX_TILES_MODEL) }

    /// Threads split `rows` activation rows in 32-row blocks (the products' packing unit):
    /// body(first row, row count, first block), about 64k elements of k per task.
    static func forEachActivationBlock(rows: Int, k: Int, parallel: Bool, _ body: (Int, Int, Int) -> Void) {
        let blocks = (rows + 31) / 32
        Parallel.forEachRange(blocks, grain: parallel ? max(1, 65536 / (32 * k)) : blocks) { range in
            let first = range.lowerBound * 32
            body(first, min(range.upperBound * 32, rows) - first, range.lowerBound)
        }
    }

    /// Lays x [rows, k] out for a product, 32-row block by block, threads splitting the blocks:
    /// `layOut(x rows first…, count, destination)` writes block b's rows at dst + b · `blockElements`.
    static func layOutActivationBlocks<Element>(
        _ x: UnsafePointer<Float>, rows: Int, k: Int, into dst: UnsafeMutablePointer<Element>, blockElements: Int,
        parallel: Bool, _ layOut: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Element>) -> Void
    ) {
        let xAddress = UnsafeRawPointer(x), dstAddress = UnsafeMutableRawPointer(dst)
        forEachActivationBlock(rows: rows, k: k, parallel: parallel) { first, count, block in
            layOut(xAddress.assumingMemoryBound(to: Float.self) + first * k, count,
                   dstAddress.assumingMemoryBound(to: Element.self) + block * blockElements)
        }
    }

    /// Threads split `n` weight rows in 32-row blocks (the products' output unit): body(first row,
    /// row count, this thread's scratch of `scratchCount` elements).
    static func forEachWeightBlock<Element>(
        n: Int, parallel: Bool, scratch: Element.Type, count scratchCount: Int,
        _ body: (Int, Int, UnsafeMutablePointer<Element>) -> Void
    ) {
        let blocks = (n + 31) / 32
        Parallel.forEachRange(blocks, grain: parallel ? 1 : blocks) { range in
            let first = range.lowerBound * 32
            ScratchMemory.withBuffer(of: Element.self, count: scratchCount) { scratch in
                body(first, min(range.upperBound * 32, n) - first, scratch)
            }
        }
    }

    /// Whether a product's AMX instructions agree with the tile model on one small product with
    /// every kind of edge (37 × 100 × 40 with `dtype` weights: partial 16- and 32-row blocks, K not a
    /// multiple of 32) — run once, at the first use of the tiles, so no result depends on
    /// instructions that disagree with the code the tests check on every CPU. A disagreement turns
    /// that product's tiles off, with a message on standard error; the kernels below them run instead.
    /// `multiply(tiles, x, rows, weight, out)` runs the product on one thread.
    static func selfCheck(
        _ name: String, dtype: DType,
        _ multiply: (AMXTiles, UnsafePointer<Float>, Int, TensorView, UnsafeMutablePointer<Float>) -> Void
    ) -> Bool {
        let (rows, k, n) = (37, 100, 40)
        var random = SplitMix64(seed: 0x414D58)
        let x = (0..<(rows * k)).map { _ in random.nextSignedUnitFloat() }
        let values = (0..<(n * k)).map { _ in random.nextSignedUnitFloat() }
        let weight = dtype.isQuantized
            ? TensorView.quantized(values, shape: [n, k], dtype: dtype, groupSize: 32)
            : TensorView.owned(values, shape: [n, k], dtype: dtype)
        let outputs = [AMXTiles.hardware, .model].map { tiles -> [Float] in
            var out = [Float](repeating: 0, count: rows * n)
            x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { multiply(tiles, xp.baseAddress!, rows, weight, $0.baseAddress!) } }
            return out
        }
        let (hardware, model) = (outputs[0], outputs[1])
        let difference = zip(hardware, model).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let norm = model.reduce(0.0) { $0 + Double($1) * Double($1) }
        let error = (difference / max(norm, .leastNormalMagnitude)).squareRoot()
        guard error.isFinite, error <= 1e-5 else {
            FileHandle.standardError.write(Data(
                "minimax: the AMX \(name) tiles disagree with their software model (relative error \(error)); using the kernels below them\n".utf8))
            return false
        }
        return true
    }
}
