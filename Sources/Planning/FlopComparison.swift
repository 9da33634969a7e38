import Foundation

/// Two models' FLOPs to generate text from an empty context, as the M1 report's Figure 1 (right)
/// compares M1 with DeepSeek-R1.
public struct FlopComparison: Sendable {
    public let model: ModelCostSheet
    public let reference: ModelCostSheet

    public init(model: ModelCostSheet, reference: ModelCostSheet) {
        self.model = model
        self.reference = reference
    }

    public struct Point: Sendable, Encodable {
        public let generated_tokens: Int
        /// FLOPs to generate that many tokens, summed (the figure's curve).
        public let cumulative_flops: Double
        public let reference_cumulative_flops: Double
        /// FLOPs of the last token alone.
        public let last_token_flops: Double
        public let reference_last_token_flops: Double
        public var cumulativeRatio: Double { cumulative_flops / reference_cumulative_flops }
        public var lastTokenRatio: Double { last_token_flops / reference_last_token_flops }
    }

    public func point(generated n: Int) -> Point {
        Point(
            generated_tokens: n, cumulative_flops: model.flops(tokens: n, startingAt: 0),
            reference_cumulative_flops: reference.flops(tokens: n, startingAt: 0),
            last_token_flops: model.flopsPerToken(afterContext: n - 1),
            reference_last_token_flops: reference.flopsPerToken(afterContext: n - 1))
    }

    /// Cumulative FLOPs against generation length for both models, in PFLOP (10^15 FLOP).
    public func chart(upTo maxTokens: Int) -> LineChart {
        let steps = 64
        let lengths = (0...steps).map { maxTokens * $0 / steps }
        func curve(_ sheet: ModelCostSheet) -> [(x: Double, y: Double)] {
            lengths.map { (Double($0), sheet.flops(tokens: $0, startingAt: 0) / 1e15) }
        }
        let kTicks = stride(from: 0, through: maxTokens, by: Self.tickStep(maxTokens)).map(Double.init)
        return LineChart(
            title: "Theoretical FLOPs to generate from an empty context",
            x: LineChart.Axis("generation length (tokens; K = 1,024)", range: 0...Double(maxTokens), ticks: kTicks, tickLabel: { Quantities.tokens(Int($0)) }),
            y: LineChart.Axis("cumulative FLOPs (PFLOP = 10¹⁵ FLOP)"),
            series: [
                LineChart.Series(reference.name, points: curve(reference), color: "#d62728"),
                LineChart.Series(model.name, points: curve(model), color: "#1f77b4"),
            ])
    }

    /// A power-of-two step giving 4 to 8 ticks.
    static func tickStep(_ maxTokens: Int) -> Int {
        var step = 1024
        while maxTokens / step > 8 { step *= 2 }
        return step
    }
}
