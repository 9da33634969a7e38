import Foundation
import Kernels
import Tensors

/// Backward of the per-head decayed linear attention (DESIGN.md §1.3 steps 5–6), block-wise.
///
/// Forward per head: S_t = λ S_{t−1} + k_tᵀ v_t (S: [d_k, d_v]), o_t = q_t S_t. For a block of m
/// tokens (local index i, state S_prev before it) and G = ∂L/∂S after the block:
///   dq_i = λ^{i+1} dO_i S_prevᵀ + Σ_{j≤i} λ^{i−j} (dO_i·v_j) k_j
///   dk_j = Σ_{i≥j} λ^{i−j} (dO_i·v_j) q_i + λ^{m−1−j} G v_j
///   dv_j = Σ_{i≥j} λ^{i−j} (q_i·k_j) dO_i + λ^{m−1−j} k_j G
///   G_prev = λ^m G + Σ_i λ^{i+1} q_iᵀ dO_i        (the carry, run from the last block back)
/// The block-boundary states are recomputed per head (one d×d state per block, O(T·d²)) rather
/// than kept on the tape; nothing larger than one block's B×B score matrix is formed, so the cost
/// is O(T·d² + T·B·d), all of it in matrix-kernel products.
public enum LightningAttentionBackward {
    /// - qkv: [T, H, 3, d] — the attention input (after SiLU), as `LightningAttention.forward` takes it.
    /// - outputGradient: [T, H, d] — dO.
    /// - qkvGradient: [T, H, 3, d] — dq | dk | dv per head and token, ACCUMULATED (+=).
    /// The sequence starts from an empty state (positions 0 ..< T).
    public static func backward(
        qkv: UnsafePointer<Float>, tokens: Int, heads: Int, headDim d: Int, slopes: [Float], blockSize: Int,
        outputGradient: UnsafePointer<Float>, qkvGradient: UnsafeMutablePointer<Float>
    ) {
        precondition(slopes.count == heads && blockSize > 0, "LightningAttentionBackward sizes")
        guard tokens > 0 else { return }
        let qkvAddress = UnsafeRawPointer(qkv), dOAddress = UnsafeRawPointer(outputGradient)
        let gradientAddress = UnsafeMutableRawPointer(qkvGradient)
        Parallel.forEachRange(heads) { headRange in
            let blockRows = min(blockSize, tokens), blocks = (tokens + blockSize - 1) / blockSize
            ScratchMemory.withFloats(Scratch.floatCount(blockRows: blockRows, headDim: d, blocks: blocks)) { buffer in
                let scratch = Scratch(buffer, blockRows: blockRows, headDim: d)
                for h in headRange {
                    let head = HeadGradientView(
                        qkv: qkvAddress.assumingMemoryBound(to: Float.self),
                        dO: dOAddress.assumingMemoryBound(to: Float.self),
                        dQKV: gradientAddress.assumingMemoryBound(to: Float.self), heads: heads, headDim: d, head: h)
                    backwardHead(head, tokens: tokens, slope: slopes[h], blockSize: blockSize, scratch: scratch)
                }
            }
        }
    }

    /// Pointers into one head's slices of the packed input, the output gradient and the input gradient.
    struct HeadGradientView {
        let qkv: UnsafePointer<Float>
        let dO: UnsafePointer<Float>
        let dQKV: UnsafeMutablePointer<Float>
        let heads: Int, headDim: Int, head: Int

        @inline(__always) func q(_ t: Int) -> UnsafePointer<Float> { qkv + (t * heads + head) * 3 * headDim }
        @inline(__always) func k(_ t: Int) -> UnsafePointer<Float> { q(t) + headDim }
        @inline(__always) func v(_ t: Int) -> UnsafePointer<Float> { q(t) + 2 * headDim }
        @inline(__always) func dOut(_ t: Int) -> UnsafePointer<Float> { dO + (t * heads + head) * headDim }
        @inline(__always) func dq(_ t: Int) -> UnsafeMutablePointer<Float> { dQKV + (t * heads + head) * 3 * headDim }
        @inline(__always) func dk(_ t: Int) -> UnsafeMutablePointer<Float> { dq(t) + headDim }
        @inline(__always) func dv(_ t: Int) -> UnsafeMutablePointer<Float> { dq(t) + 2 * headDim }
    }

    /// One thread's buffers (from its scratch arena), for blocks of at most `blockRows` tokens.
    struct Scratch {
        /// [m, d]: q, k, v, dO, dO·λ^{i+1}, v·λ^{m−1−j}, k·λ^{m−1−j}, product
        let q, k, v, dO, dODecayed, vDecayed, kDecayed, product: UnsafeMutablePointer<Float>
        /// [d, m]: qᵀ, kᵀ, dOᵀ, (q·λ^{i+1})ᵀ, (k·λ^{m−1−j})ᵀ, vᵀ
        let qT, kT, dOT, qDecayedT, kDecayedT, vT: UnsafeMutablePointer<Float>
        /// [m, m]: scoresT[j, i] (column i = query), scores[i, j]
        let scoresT, scores: UnsafeMutablePointer<Float>
        /// [d, d]: carry G, Gᵀ, increment; [blocks, d, d]: the state before each block
        let carry, carryT, increment, states: UnsafeMutablePointer<Float>

        static func floatCount(blockRows m: Int, headDim d: Int, blocks: Int) -> Int {
            14 * m * d + 2 * m * m + (3 + blocks) * d * d
        }

        init(_ p: UnsafeMutablePointer<Float>, blockRows m: Int, headDim d: Int) {
            var next = p
            func take(_ n: Int) -> UnsafeMutablePointer<Float> { defer { next += n }; return next }
            q = take(m * d); k = take(m * d); v = take(m * d); dO = take(m * d)
            dODecayed = take(m * d); vDecayed = take(m * d); kDecayed = take(m * d); product = take(m * d)
            qT = take(d * m); kT = take(d * m); dOT = take(d * m); qDecayedT = take(d * m)
            kDecayedT = take(d * m); vT = take(d * m)
            scoresT = take(m * m); scores = take(m * m)
            carry = take(d * d); carryT = take(d * d); increment = take(d * d); states = next
        }
    }

    /// out[rows, n] = x[rows, k] · Wᵀ for a scratch W: [n, k], on the calling thread.
    @inline(__always)
    static func product(
        _ x: UnsafePointer<Float>, rows: Int, _ w: UnsafePointer<Float>, _ n: Int, _ k: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        MatMul.multiply(x, rows: rows, weight: Linear.view(w, n, k), into: out, parallel: false)
    }

    static func backwardHead(_ head: HeadGradientView, tokens: Int, slope: Float, blockSize: Int, scratch s: Scratch) {
        let d = head.headDim, blocks = (tokens + blockSize - 1) / blockSize
        // decayPower[n] = λⁿ, formed as the forward kernel forms it.
        let decayPower = (0...blockSize).map { expf(-slope * Float($0)) }

        // Pass 1: states[b] = S before block b ([d_k, d_v]); S = λ^m S + (K ⊙ λ^{m−1−j})ᵀ V.
        s.states.initialize(repeating: 0, count: d * d)
        for b in 0..<(blocks - 1) {
            let first = b * blockSize, m = min(blockSize, tokens - first)
            for j in 0..<m {
                let k = head.k(first + j), v = head.v(first + j), kDecay = decayPower[m - 1 - j]
                for c in 0..<d {
                    s.kDecayedT[c * m + j] = k[c] * kDecay
                    s.vT[c * m + j] = v[c]
                }
            }
            let previous = s.states + b * d * d, next = previous + d * d
            // increment: [d_k, d_v] = (K ⊙ λ^{m−1−j})ᵀ [d, m] · (Vᵀ)ᵀ
            product(s.kDecayedT, rows: d, s.vT, d, m, into: next)
            Dot.axpy(decayPower[m], previous, next, count: d * d)
        }

        // Pass 2: blocks from the last back, carrying G = ∂L/∂S after the block.
        s.carry.initialize(repeating: 0, count: d * d)
        for b in stride(from: blocks - 1, through: 0, by: -1) {
            let first = b * blockSize, m = min(blockSize, tokens - first)
            let hasLater = b < blocks - 1
            gather(head, first: first, count: m, decayPower: decayPower, into: s)
            // dq inter: [m, d_k] = (dO ⊙ λ^{i+1}) · S_prevᵀ
            product(s.dODecayed, rows: m, s.states + b * d * d, d, d, into: s.product)
            for i in 0..<m { Dot.axpy(1, s.product + i * d, head.dq(first + i), count: d) }
            // scoresT[j, i] = λ^{i−j} (v_j · dO_i) for i ≥ j, else 0: [m, m]
            product(s.v, rows: m, s.dO, m, d, into: s.scoresT)
            maskTransposedScores(s.scoresT, m, decayPower)
            Transpose.apply(s.scoresT, rows: m, columns: m, into: s.scores)
            // dq intra: [m, d] = scores · K
            product(s.scores, rows: m, s.kT, d, m, into: s.product)
            for i in 0..<m { Dot.axpy(1, s.product + i * d, head.dq(first + i), count: d) }
            // dk intra: [m, d] = scoresᵀ · Q
            product(s.scoresT, rows: m, s.qT, d, m, into: s.product)
            for j in 0..<m { Dot.axpy(1, s.product + j * d, head.dk(first + j), count: d) }
            // scoresT[j, i] = λ^{i−j} (k_j · q_i) for i ≥ j; dv intra: [m, d] = scoresT · dO
            product(s.k, rows: m, s.q, m, d, into: s.scoresT)
            maskTransposedScores(s.scoresT, m, decayPower)
            product(s.scoresT, rows: m, s.dOT, d, m, into: s.product)
            for j in 0..<m { Dot.axpy(1, s.product + j * d, head.dv(first + j), count: d) }
            if hasLater {
                // dk inter: [m, d_k] = (V ⊙ λ^{m−1−j}) · Gᵀ;  dv inter: [m, d_v] = (K ⊙ λ^{m−1−j}) · G
                product(s.vDecayed, rows: m, s.carry, d, d, into: s.product)
                for j in 0..<m { Dot.axpy(1, s.product + j * d, head.dk(first + j), count: d) }
                Transpose.apply(s.carry, rows: d, columns: d, into: s.carryT)
                product(s.kDecayed, rows: m, s.carryT, d, d, into: s.product)
                for j in 0..<m { Dot.axpy(1, s.product + j * d, head.dv(first + j), count: d) }
            }
            if b > 0 {
                // G = λ^m G + (Q ⊙ λ^{i+1})ᵀ dO: [d_k, d_v]
                product(s.qDecayedT, rows: d, s.dOT, d, m, into: s.increment)
                Dot.scaleAndAdd(decayPower[m], s.carry, 1, s.increment, count: d * d)
            }
        }
    }

    /// Copies one block's inputs into the layouts the products read.
    @inline(__always)
    static func gather(_ head: HeadGradientView, first: Int, count m: Int, decayPower: [Float], into s: Scratch) {
        let d = head.headDim
        for i in 0..<m {
            let t = first + i
            let q = head.q(t), k = head.k(t), v = head.v(t), dO = head.dOut(t)
            let queryDecay = decayPower[i + 1], keyDecay = decayPower[m - 1 - i]
            for c in 0..<d {
                s.q[i * d + c] = q[c]; s.k[i * d + c] = k[c]; s.v[i * d + c] = v[c]; s.dO[i * d + c] = dO[c]
                s.dODecayed[i * d + c] = dO[c] * queryDecay
                s.vDecayed[i * d + c] = v[c] * keyDecay
                s.kDecayed[i * d + c] = k[c] * keyDecay
                s.qT[c * m + i] = q[c]; s.kT[c * m + i] = k[c]; s.dOT[c * m + i] = dO[c]
                s.qDecayedT[c * m + i] = q[c] * queryDecay
            }
        }
    }

    /// scoresT[j, i] *= λ^{i−j} where i ≥ j (query i sees key j), 0 where i < j.
    @inline(__always)
    static func maskTransposedScores(_ scoresT: UnsafeMutablePointer<Float>, _ m: Int, _ decayPower: [Float]) {
        for j in 0..<m {
            let row = scoresT + j * m
            for i in 0..<m { row[i] = i >= j ? row[i] * decayPower[i - j] : 0 }
        }
    }
}
