import MiniMax

/// The Switch Transformer load-balancing loss, as transformers' `load_balancing_loss_func` computes
/// it over the rows of every layer together (N = layers × tokens rows):
///   aux = E · Σ_e f_e · P̄_e,   f_e = (rows routed to e, over all k slots) / N,   P̄_e = mean_rows p_e.
/// The routing counts are constants; the gradient reaches the router through P̄ only:
///   ∂aux/∂p_{row, e} = E · f_e / N, the same for every row.
struct LoadBalancingLoss {
    let loss: Double
    /// Rows routed to each expert, over all layers and slots: [E].
    let load: [Int]
    private let rows: Int
    private let experts: Int

    init(_ tapes: [MixtureOfExpertsTape], configuration c: Configuration) {
        experts = c.expertCount
        var load = [Int](repeating: 0, count: experts)
        var probabilitySum = [Double](repeating: 0, count: experts)
        var rows = 0
        for tape in tapes {
            rows += tape.tokens
            for e in tape.selectedExperts { load[e] += 1 }
            for t in 0..<tape.tokens {
                for e in 0..<experts { probabilitySum[e] += Double(tape.routerProbabilities[t * experts + e]) }
            }
        }
        self.rows = rows
        self.load = load
        let n = Double(max(rows, 1))
        var total = 0.0
        for e in 0..<experts { total += Double(load[e]) / n * probabilitySum[e] / n }
        loss = Double(experts) * total
    }

    /// scale · ∂aux/∂p for every row's probability of each expert: [E].
    func probabilityGradient(scale: Float) -> [Float] {
        let n = Double(max(rows, 1))
        return load.map { Float(Double(scale) * Double(experts) * Double($0) / n / n) }
    }
}
