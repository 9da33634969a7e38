import CKernels

/// Which tiles an AMX product runs on, and the thread split both AMX products share.
public enum AMXTiles: Sendable {
    /// The AMX instructions (only where `KernelPath` says the tiles are usable).
    case hardware
    /// The software model of the tile registers: the same kernel code on any CPU (tests; slow).
    case model

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
}
