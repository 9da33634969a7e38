import Foundation
import MiniMax
import Tensors

/// Initial weights for training from scratch, chosen by each declaration's role (GPT-2 / llm.c
/// style): matrices N(0, σ²) with σ = 0.02, the projections that write into the residual stream
/// (`out_proj`, `o_proj`, experts' `w2`) scaled by 1/√(2L), RMSNorm weights 1.
public enum ParameterInitializer {
    public static let standardDeviation: Float = 0.02

    public static func initialize(_ store: ParameterStore, seed: UInt64) {
        let c = store.tree.configuration
        var random = SplitMix64(seed: seed)
        let residualScale = 1 / Float(2 * max(c.layerCount, 1)).squareRoot()
        for (i, p) in store.tree.parameters.enumerated() {
            let values = store.pointer(i)
            if p.role == .norm {
                values.update(repeating: 1, count: p.elementCount)
                continue
            }
            let writesResidual = p.name.hasSuffix(".out_proj.weight") || p.name.hasSuffix(".o_proj.weight")
                || p.name.hasSuffix(".w2.weight")
            let sigma = standardDeviation * (writesResidual ? residualScale : 1)
            for j in 0..<p.elementCount { values[j] = sigma * gaussian(&random) }
        }
    }

    /// A standard normal draw (Box–Muller).
    static func gaussian(_ random: inout SplitMix64) -> Float {
        let u1 = max(Double(random.next() >> 11) / Double(1 << 53), Double.leastNonzeroMagnitude)
        let u2 = Double(random.next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
