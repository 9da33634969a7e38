import Foundation

/// The log-probabilities the engine reports. (Penalties: `Generation.TokenPenalties`, shared with
/// `TextGenerator`.)
enum TokenScoring {
    /// log softmax(logits)[id] for `id` and for the `top` most likely ids (most likely first,
    /// lowest id on ties), in Double.
    static func logprobs(_ logits: [Float], id: Int, top: Int) -> (chosen: TokenLogprob, top: [TokenLogprob]) {
        var maximum = -Double.infinity
        for l in logits where Double(l) > maximum { maximum = Double(l) }
        var sum = 0.0
        for l in logits where l != -.infinity { sum += Foundation.exp(Double(l) - maximum) }
        let logNormalizer = maximum + Foundation.log(sum)
        func logprob(_ i: Int) -> Double { Double(logits[i]) - logNormalizer }
        // The `top` best ids, kept sorted by a simple insertion (top ≤ 20).
        var best: [Int] = []
        if top > 0 {
            best.reserveCapacity(top + 1)
            for i in logits.indices {
                if best.count == top, let last = best.last, !(logits[i] > logits[last]) { continue }
                var j = best.count
                while j > 0 && logits[best[j - 1]] < logits[i] { j -= 1 }
                best.insert(i, at: j)
                if best.count > top { best.removeLast() }
            }
        }
        return (TokenLogprob(id: id, logprob: logprob(id)), best.map { TokenLogprob(id: $0, logprob: logprob($0)) })
    }
}
