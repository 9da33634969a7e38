import CKernels
import Foundation
import Tensors

/// Lightning attention: linear attention with a per-head exponential decay λ = exp(−s).
/// Definition per head (state S ∈ ℝ^{d×d}, rows indexed by key features):
///   S_t = λ S_{t−1} + k_tᵀ v_t,   o_t = q_t S_t.
/// Prefill runs it block-wise — intra-block masked product (QKᵀ ⊙ decay)·V, inter-block product
/// (Q ⊙ λ^{i+1})·S, state update λ^m S + (K ⊙ λ^{m−1−j})ᵀ V — each as a matrix product, so
/// the cost is O(T·d² + T·B·d) at matrix-kernel speed. A single token takes the fused recurrent
/// step. The state stays fp32 and is stored transposed, Sᵀ: [H, d (value), d (key)], so both the
/// recurrent step and the block products read it row by row. Under `MatMulPrecision.bfloat16` the
/// block products round both operands to bf16 (the state itself stays fp32) and run on the bf16
/// kernels; the recurrent step stays fp32.
public enum LightningAttention {
    /// - qkv: [T, H, 3, d] — per head and token the query, key and value, back to back.
    /// - slopes: [H] decay rates s_h (λ_h = exp(−s_h)).
    /// - state: [H, d, d] holding Sᵀ, read and updated in place.
    /// - out: [T, H, d].
    public static func forward(
        qkv: UnsafePointer<Float>, tokens: Int, heads: Int, headDim d: Int, slopes: [Float],
        blockSize: Int, state: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
        precision: MatMulPrecision = .exact
    ) {
        precondition(slopes.count == heads && blockSize > 0, "LightningAttention sizes")
        let qkvAddress = UnsafeRawPointer(qkv), stateAddress = UnsafeMutableRawPointer(state)
        let outAddress = UnsafeMutableRawPointer(out)
        if tokens == 1 {
            // Decode: the fused recurrent step per head, through a reusable loop object (no allocation).
            ScratchMemory.withReusable(RecurrentStepLoop.self, make: RecurrentStepLoop.init) { loop in
                loop.set(qkv: qkv, heads: heads, headDim: d, slopes: slopes, state: state, out: out)
                Parallel.forEachRange(heads, loop: loop)
            }
            return
        }
        Parallel.forEachRange(heads) { headRange in
            var scratch = BlockScratch(blockSize: min(blockSize, tokens), headDim: d,
                                       roundsOperands: precision.roundsBFloat16Activations)
            defer { scratch.deallocate() }
            for h in headRange {
                let head = HeadView(
                    qkv: qkvAddress.assumingMemoryBound(to: Float.self), heads: heads, headDim: d, head: h,
                    out: outAddress.assumingMemoryBound(to: Float.self))
                let s = stateAddress.assumingMemoryBound(to: Float.self) + h * d * d
                blockwise(head, tokens: tokens, slope: slopes[h], blockSize: blockSize, state: s, scratch: &scratch,
                          precision: precision)
            }
        }
    }

    /// One token through a range of heads: `recurrentStep` per head.
    final class RecurrentStepLoop: ParallelLoop {
        private var qkv = UnsafePointer<Float>(bitPattern: 64)!
        private var heads = 0, headDim = 0
        private var slopes: [Float] = []
        private var state = UnsafeMutablePointer<Float>(bitPattern: 64)!
        private var out = UnsafeMutablePointer<Float>(bitPattern: 64)!

        func set(
            qkv: UnsafePointer<Float>, heads: Int, headDim: Int, slopes: [Float], state: UnsafeMutablePointer<Float>,
            out: UnsafeMutablePointer<Float>
        ) {
            self.qkv = qkv
            self.heads = heads
            self.headDim = headDim
            self.slopes = slopes
            self.state = state
            self.out = out
        }

        func run(_ range: Range<Int>) {
            let d = headDim
            for h in range {
                let head = HeadView(qkv: qkv, heads: heads, headDim: d, head: h, out: out)
                recurrentStep(head, token: 0, decay: expf(-slopes[h]), state: state + h * d * d)
            }
        }
    }

    /// Pointers into one head's slices of the packed qkv input and the output.
    struct HeadView {
        let qkv: UnsafePointer<Float>
        let heads: Int
        let headDim: Int
        let head: Int
        let out: UnsafeMutablePointer<Float>

        @inline(__always) func q(_ t: Int) -> UnsafePointer<Float> { qkv + (t * heads + head) * 3 * headDim }
        @inline(__always) func k(_ t: Int) -> UnsafePointer<Float> { q(t) + headDim }
        @inline(__always) func v(_ t: Int) -> UnsafePointer<Float> { q(t) + 2 * headDim }
        @inline(__always) func o(_ t: Int) -> UnsafeMutablePointer<Float> { out + (t * heads + head) * headDim }
    }

    /// One token: Sᵀ = λSᵀ + vᵀk, then o = q S as a matrix-vector product over the rows of Sᵀ
    /// (the d×d state of one head stays in L1 between the two passes).
    @inline(__always)
    static func recurrentStep(_ head: HeadView, token t: Int, decay: Float, state s: UnsafeMutablePointer<Float>) {
        let d = head.headDim
        let q = head.q(t), k = head.k(t), v = head.v(t), o = head.o(t)
        for c in 0..<d { Dot.scaleAndAdd(decay, s + c * d, v[c], k, count: d) }
        minimax_matvec_f32(q, s, d, d, o)
    }

    /// Per-thread buffers for one block of one head.
    struct BlockScratch {
        let blockSize: Int, headDim: Int
        /// [B, d] queries; [B, d] queries × λ^{i+1}; [B, d] keys; [d, B] (keys × λ^{m−1−j})ᵀ; [d, B] valuesᵀ
        let q, qDecayed, k, kDecayedT, vT: UnsafeMutablePointer<Float>
        /// [B, d] keys × λ^{m−1−j} and [B, d] values, row-major, before their transposes
        let kDecayed, v: UnsafeMutablePointer<Float>
        /// [B, B] decayed scores; [B, d] block output; [d, d] state increment (transposed)
        let scores, o, stateIncrement: UnsafeMutablePointer<Float>
        /// Under rounded operands, the products' weight operands as bf16: [d, d] Sᵀ; [B, d] keys;
        /// [d, B] valuesᵀ; [d, B] (keys × λ^{m−1−j})ᵀ. nil under exact ones.
        let stateBits, kBits, vTBits, kDecayedTBits: UnsafeMutablePointer<UInt16>?

        init(blockSize b: Int, headDim d: Int, roundsOperands: Bool) {
            blockSize = b
            headDim = d
            q = .allocate(capacity: b * d); qDecayed = .allocate(capacity: b * d); k = .allocate(capacity: b * d)
            kDecayedT = .allocate(capacity: d * b); vT = .allocate(capacity: d * b)
            kDecayed = .allocate(capacity: b * d); v = .allocate(capacity: b * d)
            scores = .allocate(capacity: b * b); o = .allocate(capacity: b * d); stateIncrement = .allocate(capacity: d * d)
            stateBits = roundsOperands ? .allocate(capacity: d * d) : nil
            kBits = roundsOperands ? .allocate(capacity: b * d) : nil
            vTBits = roundsOperands ? .allocate(capacity: d * b) : nil
            kDecayedTBits = roundsOperands ? .allocate(capacity: d * b) : nil
        }

        func deallocate() {
            for p in [q, qDecayed, k, kDecayedT, vT, kDecayed, v, scores, o, stateIncrement] { p.deallocate() }
            for p in [stateBits, kBits, vTBits, kDecayedTBits] { p?.deallocate() }
        }
    }

    /// Query rows per sub-block of the intra-block product (see `blockwise`).
    static let intraRowBlock = 64

    /// Block-wise prefill over `tokens` tokens starting from the state in `s` (Sᵀ).
    static func blockwise(
        _ head: HeadView, tokens: Int, slope: Float, blockSize: Int, state s: UnsafeMutablePointer<Float>,
        scratch: inout BlockScratch, precision: MatMulPrecision
    ) {
        /// A [rows, cols] scratch matrix as a product's weight: fp32, or rounded to bf16 into `bits`.
        func weight(_ p: UnsafeMutablePointer<Float>, _ rows: Int, _ cols: Int, _ bits: UnsafeMutablePointer<UInt16>?) -> TensorView {
            BFloat16DotMatMul.weightOperand(p, rows: rows, cols: cols, roundingInto: bits)
        }
        let d = head.headDim
        // decayPower[n] = λⁿ, formed directly as exp(−s·n) like the reference's decay tables.
        let decayPower = (0...blockSize).map { expf(-slope * Float($0)) }
        // reversedDecay[x] = λ^{B−1−x}: row i of the scores takes λ^{i−j} = reversedDecay[B−1−i+j],
        // a forward run in j.
        let reversedDecay = (0..<blockSize).map { decayPower[blockSize - 1 - $0] }
        var blockStart = 0
        while blockStart < tokens {
            let m = min(blockSize, tokens - blockStart)
            // Gather the block: q, k: [m, d]; q·λ^{i+1}; k·λ^{m−1−j} and v: [m, d], row by row;
            // then (k·λ^{m−1−j})ᵀ: [d, m] by a blocked transpose (vᵀ is transposed with the intra part).
            for j in 0..<m {
                let t = blockStart + j, row = j * d
                (scratch.q + row).update(from: head.q(t), count: d)
                (scratch.k + row).update(from: head.k(t), count: d)
                (scratch.v + row).update(from: head.v(t), count: d)
                Dot.scale(decayPower[j + 1], head.q(t), into: scratch.qDecayed + row, count: d)
                Dot.scale(decayPower[m - 1 - j], head.k(t), into: scratch.kDecayed + row, count: d)
            }
            minimax_transpose_f32(scratch.kDecayed, m, d, 0, m, scratch.kDecayedT)
            // inter: O = (Q ⊙ λ^{i+1}) · S           ([m, d] · Sᵀᵀ)
            MatMul.multiply(scratch.qDecayed, rows: m, weight: weight(s, d, d, scratch.stateBits), into: scratch.o,
                            parallel: false, precision: precision)
            for i in 0..<m { head.o(blockStart + i).update(from: scratch.o + i * d, count: d) }
            // intra: O += P · V with P = (Q Kᵀ) ⊙ λ^{i−j}, causal, by sub-blocks of query rows, each
            // against only the keys up to its last row: P's masked zeros past them added nothing to
            // an output's FMA chain, so the outputs keep their bits for about a third less work.
            // keys: [m, d], as the scores' weight (rounded once for the block's sub-blocks)
            let keys = weight(scratch.k, m, d, scratch.kBits)
            reversedDecay.withUnsafeBufferPointer { reversed in
                var r0 = 0
                while r0 < m {
                    let r1 = min(r0 + intraRowBlock, m), rows = r1 - r0
                    // The whole block's choice of row-wise or tiled order, as one product over it.
                    let singles = m < MatMul.packedThreshold ? rows : 0
                    // scores: [rows, r1]
                    MatMul.multiply(scratch.q + r0 * d, rows: rows, singleRows: singles,
                                    weight: TensorView(dtype: keys.dtype, shape: [r1, d], base: keys.base, owner: nil),
                                    into: scratch.scores, parallel: false, precision: precision)
                    for i in 0..<rows {
                        let query = r0 + i
                        let row = scratch.scores + i * r1, decay = reversed.baseAddress! + (blockSize - 1 - query)
                        for j in 0...query { row[j] *= decay[j] }
                        (row + query + 1).update(repeating: 0, count: r1 - 1 - query)
                    }
                    // valuesᵀ of keys 0..<r1: [d, r1] (the last sub-block leaves the block's whole Vᵀ)
                    minimax_transpose_f32(scratch.v, r1, d, 0, r1, scratch.vT)
                    MatMul.multiply(scratch.scores, rows: rows, singleRows: singles, weight: weight(scratch.vT, d, r1, scratch.vTBits),
                                    into: scratch.o, parallel: false, precision: precision)
                    for i in 0..<rows {
                        let o = head.o(blockStart + r0 + i), intra = scratch.o + i * d
                        for c in 0..<d { o[c] += intra[c] }
                    }
                    r0 = r1
                }
            }
            // state: Sᵀ = λ^m Sᵀ + Vᵀ · (K ⊙ λ^{m−1−j})   ([d, m] · [d, m]ᵀ)
            MatMul.multiply(scratch.vT, rows: d, weight: weight(scratch.kDecayedT, d, m, scratch.kDecayedTBits),
                            into: scratch.stateIncrement, parallel: false, precision: precision)
            Dot.scaleAndAdd(decayPower[m], s, 1, scratch.stateIncrement, count: d * d)
            blockStart += m
        }
    }
}
