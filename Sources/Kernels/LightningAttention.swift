import Foundation

/// Lightning attention: linear attention with a per-head exponential decay λ = exp(−s).
/// Definition per head (state S ∈ ℝ^{d×d}, rows indexed by key features):
///   S_t = λ S_{t−1} + k_tᵀ v_t,   o_t = q_t S_t.
/// Prefill runs it block-wise (intra-block masked product + inter-block state product + state
/// update, O(T·d² + T·B·d)); a single token takes the fused recurrent step. The state stays fp32.
public enum LightningAttention {
    /// - qkv: [T, H, 3, d] — per head and token the query, key and value, back to back.
    /// - slopes: [H] decay rates s_h (λ_h = exp(−s_h)).
    /// - state: [H, d, d], read and updated in place.
    /// - out: [T, H, d].
    public static func forward(
        qkv: UnsafePointer<Float>, tokens: Int, heads: Int, headDim d: Int, slopes: [Float],
        blockSize: Int, state: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>
    ) {
        precondition(slopes.count == heads && blockSize > 0, "LightningAttention sizes")
        let qkvAddress = UnsafeRawPointer(qkv), stateAddress = UnsafeMutableRawPointer(state)
        let outAddress = UnsafeMutableRawPointer(out)
        Parallel.forEachRange(heads) { headRange in
            for h in headRange {
                let head = HeadView(
                    qkv: qkvAddress.assumingMemoryBound(to: Float.self), heads: heads, headDim: d, head: h,
                    out: outAddress.assumingMemoryBound(to: Float.self))
                let s = stateAddress.assumingMemoryBound(to: Float.self) + h * d * d
                if tokens == 1 {
                    recurrentStep(head, token: 0, decay: expf(-slopes[h]), state: s)
                } else {
                    blockwise(head, tokens: tokens, slope: slopes[h], blockSize: blockSize, state: s)
                }
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

    /// One token: S = λS + kᵀv and o = qS in a single pass over the rows of S.
    @inline(__always)
    static func recurrentStep(_ head: HeadView, token t: Int, decay: Float, state s: UnsafeMutablePointer<Float>) {
        let d = head.headDim
        let q = head.q(t), k = head.k(t), v = head.v(t), o = head.o(t)
        o.initialize(repeating: 0, count: d)
        for r in 0..<d {
            let row = s + r * d
            Dot.scaleAndAdd(decay, row, k[r], v, count: d)
            Dot.axpy(q[r], row, o, count: d)
        }
    }

    /// Block-wise prefill over `tokens` tokens starting from the state in `s`.
    static func blockwise(
        _ head: HeadView, tokens: Int, slope: Float, blockSize: Int, state s: UnsafeMutablePointer<Float>
    ) {
        let d = head.headDim
        // decayPower[n] = λⁿ, formed directly as exp(−s·n) like the reference's decay tables.
        let decayPower = (0...blockSize).map { expf(-slope * Float($0)) }
        var blockStart = 0
        while blockStart < tokens {
            let m = min(blockSize, tokens - blockStart)
            for i in 0..<m {
                let t = blockStart + i
                let q = head.q(t), o = head.o(t)
                o.initialize(repeating: 0, count: d)
                // inter: λ^{i+1} q_i S_prev
                for r in 0..<d { Dot.axpy(decayPower[i + 1] * q[r], s + r * d, o, count: d) }
                // intra: Σ_{j≤i} λ^{i−j} (q_i·k_j) v_j
                for j in 0...i {
                    let u = blockStart + j
                    let weight = decayPower[i - j] * Dot.product(q, head.k(u), count: d)
                    Dot.axpy(weight, head.v(u), o, count: d)
                }
            }
            // S = λ^m S_prev + Σ_j λ^{m−1−j} k_jᵀ v_j
            for r in 0..<d {
                let row = s + r * d
                var scale = decayPower[m]
                for j in 0..<m {
                    let u = blockStart + j
                    Dot.scaleAndAdd(scale, row, decayPower[m - 1 - j] * head.k(u)[r], head.v(u), count: d)
                    scale = 1
                }
            }
            blockStart += m
        }
    }
}
