import CKernels
import Foundation
import Tensors

/// Softmax attention over a key/value cache stored in fixed-size pages, computed tile by tile
/// with an online softmax (no score matrix larger than one tile × one page ever exists):
/// query head h reads KV head ⌊h / (H / H_kv)⌋; query t (at position `past + t`) sees keys
/// 0 … past + t, or only the last `window` of them. The products Q·Kᵀ and P·V run on the matrix
/// kernel, with all query heads of one KV head stacked so each page is read once per tile. Under
/// `MatMulPrecision.bfloat16` tiled products round both operands (a page, the queries, the
/// probabilities) to bf16 and run on the bf16 kernels; the softmax and the sums stay fp32, as do
/// decode-sized tiles.
public enum PagedAttention {
    /// Query tokens per tile (times the GQA group size gives the tile's rows).
    public static let queryTile = 64
    /// Tiles with at most this many rows (decode: one token × the GQA group) use per-row
    /// matrix-vector products instead of packing each page for the matrix kernel.
    static let smallTileRows = 8

    /// - queries: [T, H, d], already rotated.
    /// - keyPages[p]: [H_kv, pageSize, d] — keys of tokens p·pageSize ..< (p+1)·pageSize.
    /// - valuePages[p]: [H_kv, d, pageSize] — the values, transposed; unused slots hold 0.
    /// - out: [T, H, d].
    public static func forward(
        queries: UnsafePointer<Float>, tokens: Int, heads: Int, keyValueHeads: Int, headDim d: Int,
        keyPages: [UnsafePointer<Float>], valuePages: [UnsafePointer<Float>], pageSize: Int, past: Int,
        window: Int?, out: UnsafeMutablePointer<Float>, precision: MatMulPrecision = .exact
    ) {
        let tiles = (tokens + queryTile - 1) / queryTile
        ScratchMemory.withReusable(TilesLoop.self, make: TilesLoop.init) { loop in
            loop.queries = queries
            loop.tokens = tokens
            loop.heads = heads
            loop.keyValueHeads = keyValueHeads
            loop.d = d
            loop.keyPages = keyPages
            loop.valuePages = valuePages
            loop.pageSize = pageSize
            loop.past = past
            loop.window = window
            loop.out = out
            loop.precision = precision
            Parallel.forEachRange(keyValueHeads * tiles, grain: 1, loop: loop)
            loop.keyPages = []
            loop.valuePages = []
        }
    }

    /// Work items are (KV head, query tile) pairs: item = g · tiles + tile. A loop object, so a
    /// decode step allocates nothing.
    final class TilesLoop: ParallelLoop {
        var queries = UnsafePointer<Float>(bitPattern: 64)!
        var tokens = 0, heads = 0, keyValueHeads = 0, d = 0, pageSize = 0, past = 0
        var keyPages: [UnsafePointer<Float>] = [], valuePages: [UnsafePointer<Float>] = []
        var window: Int?
        var out = UnsafeMutablePointer<Float>(bitPattern: 64)!
        var precision = MatMulPrecision.exact

        func run(_ range: Range<Int>) {
            let queries = self.queries, out = self.out, keyPages = self.keyPages, valuePages = self.valuePages
            let tokens = self.tokens, heads = self.heads, d = self.d, pageSize = self.pageSize, past = self.past
            let window = self.window
            let group = heads / keyValueHeads
            let tiles = (tokens + queryTile - 1) / queryTile
            let scale = Float(1 / Double(d).squareRoot())
            let rowsMax = min(queryTile, tokens) * group
            let rounds = precision.roundsBFloat16Activations && rowsMax > smallTileRows
            // Per-thread tile buffers: q, partial, accumulated [rows, d]; scores [rows, pageSize];
            // running max and sum [rows]; when rounding, one page of keys or values as bf16 [pageSize · d].
            ScratchMemory.withFloats(rowsMax * (3 * d + pageSize + 2) + (rounds ? (pageSize * d + 1) / 2 : 0)) { buffer in
            let q = buffer, partial = q + rowsMax * d, accumulated = partial + rowsMax * d
            let scores = accumulated + rowsMax * d, rowMax = scores + rowsMax * pageSize, rowSum = rowMax + rowsMax
            let pageBits = rounds ? UnsafeMutableRawPointer(rowSum + rowsMax).assumingMemoryBound(to: UInt16.self) : nil
            for item in range {
                let g = item / tiles, tile = item % tiles
                let t0 = tile * queryTile, tileTokens = min(queryTile, tokens - t0)
                let rows = tileTokens * group
                // Rows are (token, head-in-group) pairs: row r = t·group + j reads head g·group + j.
                for t in 0..<tileTokens {
                    for j in 0..<group {
                        (q + (t * group + j) * d).update(from: queries + ((t0 + t) * heads + g * group + j) * d, count: d)
                    }
                }
                accumulated.initialize(repeating: 0, count: rows * d)
                for r in 0..<rows { rowMax[r] = -.infinity; rowSum[r] = 0 }
                let lastPosition = past + t0 + tileTokens - 1
                let firstVisible = window.map { max(0, past + t0 - $0 + 1) } ?? 0
                for page in (firstVisible / pageSize)...(lastPosition / pageSize) {
                    let pageStart = page * pageSize
                    let keyPage = keyPages[page] + g * pageSize * d
                    // scores: [rows, pageSize] = q [rows, d] · keysᵀ
                    PagedAttention.tileProduct(q, rows: rows, depth: d, weight: keyPage, outputs: pageSize, into: scores,
                                               roundingInto: pageBits, precision: precision)
                    for r in 0..<rows {
                        let position = past + t0 + r / group
                        let first = window.map { position - $0 + 1 } ?? 0
                        let row = scores + r * pageSize
                        // Visible keys of this page: slots lo ... hi.
                        let lo = max(0, first - pageStart), hi = min(pageSize - 1, position - pageStart)
                        if lo > hi {
                            row.initialize(repeating: 0, count: pageSize)
                            continue
                        }
                        let pageMax = Dot.scaleInPlaceReturningMaximum(scale, row + lo, count: hi - lo + 1)
                        let newMax = max(rowMax[r], pageMax)
                        let correction = rowMax[r] == -.infinity ? 0 : expf(rowMax[r] - newMax)
                        let sum = exponentiate(row, from: lo, through: hi, minus: newMax, width: pageSize)
                        rowSum[r] = rowSum[r] * correction + sum
                        rowMax[r] = newMax
                        if correction != 1 {
                            let o = accumulated + r * d
                            for c in 0..<d { o[c] *= correction }
                        }
                    }
                    let valuePage = valuePages[page] + g * d * pageSize
                    // partial: [rows, d] = scores [rows, pageSize] · (valuesᵀ)ᵀ
                    PagedAttention.tileProduct(scores, rows: rows, depth: pageSize, weight: valuePage, outputs: d, into: partial,
                                               roundingInto: pageBits, precision: precision)
                    Dot.axpy(1, partial, accumulated, count: rows * d)
                }
                for t in 0..<tileTokens {
                    for j in 0..<group {
                        let r = t * group + j
                        let o = out + ((t0 + t) * heads + g * group + j) * d, a = accumulated + r * d
                        let inverse = 1 / rowSum[r]
                        for c in 0..<d { o[c] = a[c] * inverse }
                    }
                }
            }
            }
    }
}

    /// out[rows, n] = x[rows, k] · Wᵀ for one page's W [n, k], on the calling thread. Decode-sized
    /// tiles (≤ `smallTileRows` rows) take one matrix-vector product per row, which beats packing
    /// the page for the matrix kernel. Tiled, the page is rounded to bf16 into `bits` when given.
    @inline(__always)
    static func tileProduct(
        _ x: UnsafePointer<Float>, rows: Int, depth k: Int, weight w: UnsafePointer<Float>, outputs n: Int,
        into out: UnsafeMutablePointer<Float>, roundingInto bits: UnsafeMutablePointer<UInt16>?, precision: MatMulPrecision
    ) {
        if rows <= smallTileRows {
            for r in 0..<rows { minimax_matvec_f32(x + r * k, w, k, n, out + r * n) }
        } else {
            let weight = BFloat16DotMatMul.weightOperand(w, rows: n, cols: k, roundingInto: bits)
            MatMul.multiply(x, rows: rows, weight: weight, into: out, parallel: false, precision: precision)
        }
    }

    /// row[j] = exp(row[j] − shift) for lo ≤ j ≤ hi and 0 elsewhere in 0..<width; returns the sum.
    @inline(__always)
    static func exponentiate(_ row: UnsafeMutablePointer<Float>, from lo: Int, through hi: Int, minus shift: Float, width: Int) -> Float {
        if lo > 0 { row.initialize(repeating: 0, count: lo) }
        if hi + 1 < width { (row + hi + 1).initialize(repeating: 0, count: width - hi - 1) }
        let raw = UnsafeMutableRawPointer(row)
        let shiftVector = SIMD16<Float>(repeating: shift)
        var sums = SIMD16<Float>()
        var j = lo
        while j + 16 <= hi + 1 {
            let e = VectorMath.exp(raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self) - shiftVector)
            raw.storeBytes(of: e, toByteOffset: j * 4, as: SIMD16<Float>.self)
            sums += e
            j += 16
        }
        var sum = sums.sum()
        while j <= hi {
            row[j] = expf(row[j] - shift)
            sum += row[j]
            j += 1
        }
        return sum
    }
}
