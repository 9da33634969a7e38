import CKernels
import Tensors

/// The many-token path of `MatMul`: a register-blocked product over packed weight panels.
///
/// Weights `W: [N, K]` are packed per thread, 32 output columns × 256 depth at a time, into a
/// k-major fp32 panel (bf16/fp16 are widened while packing, so no fp32 copy of the whole matrix
/// exists). A 6 × 32 micro-kernel then keeps 12 SIMD16 accumulators in registers and performs 12
/// fused multiply-adds per 2 panel loads and 6 broadcasts. Each output is one FMA chain in k order
/// whatever rows it is tiled with, so results do not depend on the batch composition.
enum PackedMatMul {
    static let rowTile = 6
    static let columnTile = 32
    static let depthBlock = 256

    /// out[T, N] = x[T, K] · Wᵀ, or out += x · Wᵀ with `accumulate`.
    static func multiply(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>, parallel: Bool,
        accumulate: Bool = false
    ) {
        let n = weight.shape[0], k = weight.shape[1]
        let columnBlocks = (n + columnTile - 1) / columnTile
        // Too few column blocks to go round the threads (a router's few experts): split the rows
        // instead, in whole tiles, each task packing the panels itself. A row's tiles and their
        // order over K are the same either way, so are its bits.
        let rowTiles = (rows + rowTile - 1) / rowTile
        if parallel && columnBlocks < Parallel.threadCount && rowTiles >= 2 * Parallel.threadCount {
            let xAddress = UnsafeRawPointer(x), outAddress = UnsafeMutableRawPointer(out)
            Parallel.forEachRange(rowTiles) { tiles in
                let first = tiles.lowerBound * rowTile, count = min(tiles.upperBound * rowTile, rows) - first
                multiply(xAddress.assumingMemoryBound(to: Float.self) + first * k, rows: count, weight: weight,
                         into: outAddress.assumingMemoryBound(to: Float.self) + first * n, parallel: false,
                         accumulate: accumulate)
            }
            return
        }
        let xAddress = UnsafeRawPointer(x), outAddress = UnsafeMutableRawPointer(out)
        Parallel.forEachRange(columnBlocks, grain: parallel ? 1 : columnBlocks) { blocks in
            let x = xAddress.assumingMemoryBound(to: Float.self)
            let out = outAddress.assumingMemoryBound(to: Float.self)
            ScratchMemory.withFloats(depthBlock * columnTile) { panel in
            for block in blocks {
                let n0 = block * columnTile, width = min(columnTile, n - n0)
                var k0 = 0
                while k0 < k {
                    let depth = min(depthBlock, k - k0)
                    pack(weight, firstRow: n0, rowCount: width, firstColumn: k0, depth: depth, into: panel)
                    // The next panel's weight rows come into L2 while this one's products run.
                    var next = nextPanelRows(weight, block: block, lastBlock: blocks.upperBound - 1, firstColumn: k0 + depth)
                    var prefetch = minimax_prefetch_start(&next, ((rows + rowTile - 1) / rowTile) * depth)
                    var t0 = 0
                    while t0 < rows {
                        let tile = min(rowTile, rows - t0)
                        microKernel(
                            x + t0 * k + k0, xStride: k, rows: tile, panel: panel, depth: depth,
                            out: out + t0 * n + n0, outStride: n, width: width, accumulate: accumulate || k0 > 0,
                            prefetch: &prefetch)
                        t0 += tile
                    }
                    k0 += depth
                }
            }
            }
        }
    }

    /// The weight rows of the panel after (block, firstColumn − depth) within a task that ends at
    /// `lastBlock`: the same rows further along K, else the next block's first depth; none for
    /// the task's last panel or quantized weights (packed through `packWidening`).
    @inline(__always)
    static func nextPanelRows(_ weight: TensorView, block: Int, lastBlock: Int, firstColumn: Int) -> minimax_prefetch_rows {
        let n = weight.shape[0], k = weight.shape[1]
        guard !weight.dtype.isQuantized else { return minimax_prefetch_rows() }
        let size = weight.dtype.byteSize
        if firstColumn < k {
            let n0 = block * columnTile
            return minimax_prefetch_rows(
                base: weight.base + (n0 * k + firstColumn) * size, stride: k * size, rows: min(columnTile, n - n0),
                bytes: min(depthBlock, k - firstColumn) * size)
        }
        guard block < lastBlock else { return minimax_prefetch_rows() }
        let n0 = (block + 1) * columnTile
        return minimax_prefetch_rows(
            base: weight.base + n0 * k * size, stride: k * size, rows: min(columnTile, n - n0), bytes: min(depthBlock, k) * size)
    }

    /// panel[kk · 32 + j] = W[firstRow + j, firstColumn + kk] as fp32; columns j ≥ rowCount are 0.
    @inline(__always)
    static func pack(
        _ weight: TensorView, firstRow: Int, rowCount: Int, firstColumn: Int, depth: Int,
        into panel: UnsafeMutablePointer<Float>
    ) {
        let k = weight.shape[1]
        switch weight.dtype {
        case .float32:
            minimax_pack_panel_f32(weight.base.assumingMemoryBound(to: Float.self) + firstRow * k, k, rowCount,
                                   firstColumn, depth, panel)
        case .bfloat16:
            minimax_pack_panel_bf16(weight.base.assumingMemoryBound(to: UInt16.self) + firstRow * k, k, rowCount,
                                    firstColumn, depth, panel)
        default:
            packWidening(weight, firstRow: firstRow, rowCount: rowCount, firstColumn: firstColumn, depth: depth, into: panel)
        }
    }

    /// The portable packing (and the naive twin of the C packers): each row widened, then stored
    /// column by column.
    static func packWidening(
        _ weight: TensorView, firstRow: Int, rowCount: Int, firstColumn: Int, depth: Int,
        into panel: UnsafeMutablePointer<Float>
    ) {
        let k = weight.shape[1]
        if rowCount < columnTile { panel.initialize(repeating: 0, count: depth * columnTile) }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: depth) { row in
            let row = row.baseAddress!
            for j in 0..<rowCount {
                WidenRow.widen(weight, start: (firstRow + j) * k + firstColumn, count: depth, into: row)
                var kk = 0
                while kk < depth {
                    panel[kk &* columnTile &+ j] = row[kk]
                    kk &+= 1
                }
            }
        }
    }

    /// out[i, 0..<width] (+)= Σ_kk x[i, kk] · panel[kk, 0..<width] for i < rows ≤ 6.
    @inline(__always)
    static func microKernel(
        _ x: UnsafePointer<Float>, xStride: Int, rows: Int, panel: UnsafePointer<Float>, depth: Int,
        out: UnsafeMutablePointer<Float>, outStride: Int, width: Int, accumulate: Bool,
        prefetch: inout minimax_prefetch_cursor
    ) {
        // Rows past `rows` re-read row 0 and their results are dropped: one code path for all tiles.
        let x0 = x, x1 = rows > 1 ? x + xStride : x, x2 = rows > 2 ? x + 2 * xStride : x
        let x3 = rows > 3 ? x + 3 * xStride : x, x4 = rows > 4 ? x + 4 * xStride : x
        let x5 = rows > 5 ? x + 5 * xStride : x
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
        let p = UnsafeRawPointer(panel)
        var kk = 0
        while kk < depth {
            let w0 = p.load(fromByteOffset: kk &* 128, as: SIMD16<Float>.self)
            let w1 = p.load(fromByteOffset: kk &* 128 &+ 64, as: SIMD16<Float>.self)
            var a = SIMD16<Float>(repeating: x0[kk])
            c00.addProduct(a, w0); c01.addProduct(a, w1)
            a = SIMD16<Float>(repeating: x1[kk])
            c10.addProduct(a, w0); c11.addProduct(a, w1)
            a = SIMD16<Float>(repeating: x2[kk])
            c20.addProduct(a, w0); c21.addProduct(a, w1)
            a = SIMD16<Float>(repeating: x3[kk])
            c30.addProduct(a, w0); c31.addProduct(a, w1)
            a = SIMD16<Float>(repeating: x4[kk])
            c40.addProduct(a, w0); c41.addProduct(a, w1)
            a = SIMD16<Float>(repeating: x5[kk])
            c50.addProduct(a, w0); c51.addProduct(a, w1)
            minimax_prefetch_advance(&prefetch)
            kk &+= 1
        }
        store(c00, c01, out, width: width, accumulate: accumulate)
        if rows > 1 { store(c10, c11, out + outStride, width: width, accumulate: accumulate) }
        if rows > 2 { store(c20, c21, out + 2 * outStride, width: width, accumulate: accumulate) }
        if rows > 3 { store(c30, c31, out + 3 * outStride, width: width, accumulate: accumulate) }
        if rows > 4 { store(c40, c41, out + 4 * outStride, width: width, accumulate: accumulate) }
        if rows > 5 { store(c50, c51, out + 5 * outStride, width: width, accumulate: accumulate) }
    }

    @inline(__always)
    static func store(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ out: UnsafeMutablePointer<Float>, width: Int, accumulate: Bool) {
        let o = UnsafeMutableRawPointer(out)
        if width == columnTile {
            if accumulate {
                o.storeBytes(of: o.loadUnaligned(as: SIMD16<Float>.self) + a, as: SIMD16<Float>.self)
                o.storeBytes(of: o.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self) + b,
                             toByteOffset: 64, as: SIMD16<Float>.self)
            } else {
                o.storeBytes(of: a, as: SIMD16<Float>.self)
                o.storeBytes(of: b, toByteOffset: 64, as: SIMD16<Float>.self)
            }
            return
        }
        for j in 0..<width {
            let v = j < 16 ? a[j] : b[j - 16]
            out[j] = accumulate ? out[j] + v : v
        }
    }
}
