import ArgumentParser
import Foundation
import Kernels
import MiniMax
import SafeTensors
import Tensors
import Training

/// `minimax grad`: the gradient of a sequence's loss w.r.t. every parameter (the debugging twin of
/// `minimax logits`).
struct GradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grad",
        abstract: "Write the gradients of the mean next-token cross-entropy of a token sequence to a float32 .safetensors file.")

    @Option(name: .long, help: "Model directory.")
    var model: String

    @Option(name: .long, parsing: .unconditional, help: "Comma-separated token ids (at least two), e.g. 3,17,42.")
    var ids: String

    @Option(name: .long, help: "Output .safetensors file: one gradient per parameter, under the checkpoint's names.")
    var out: String

    @Option(name: .long, parsing: .unconditional, help: "Add this times the load-balancing loss (transformers' router_aux_loss_coef).")
    var auxLossCoef: Float = 0

    @Option(name: .long, parsing: .unconditional, help: "Worker threads for the kernels (default: all cores).")
    var threads: Int?

    func validate() throws {
        try checkModelDirectory(model)
        guard try parseTokenIDs(ids).count >= 2 else { throw ValidationError("--ids: give at least two ids (one prediction)") }
        guard auxLossCoef.isFinite, auxLossCoef >= 0 else { throw ValidationError("--aux-loss-coef must be ≥ 0, got \(auxLossCoef)") }
        try checkThreadCount(threads)
    }

    func run() throws {
        if let threads { Parallel.threadCount = threads }
        let tokenIDs = try parseTokenIDs(ids)
        let directory = URL(fileURLWithPath: model)
        let configuration = try Configuration.load(directory: directory)
        if let bad = tokenIDs.first(where: { $0 >= configuration.vocabularySize }) {
            throw ValidationError("--ids: id \(bad) is outside the vocabulary (vocab_size \(configuration.vocabularySize))")
        }
        let parameters = try ParameterStore.load(configuration: configuration, checkpoint: try Checkpoint(directory: directory))
        let gradients = ParameterStore(tree: parameters.tree)
        let T = tokenIDs.count
        let result = LanguageModelGradient.run(
            parameters: parameters, gradients: gradients, inputs: tokenIDs, targets: Array(tokenIDs.dropFirst()) + [0],
            mask: (0..<T).map { $0 < T - 1 }, lossScale: 1 / Float(T - 1), auxiliaryScale: auxLossCoef)
        try gradients.writeSafeTensors(to: URL(fileURLWithPath: out))
        let loss = result.crossEntropySum / Double(T - 1) + Double(auxLossCoef) * result.auxiliary
        writeOutput(String(format: "loss %.6f (cross-entropy %.6f over %d predictions, load-balancing %.6f); gradient norm %.6f; wrote %@\n",
                           loss, result.crossEntropySum / Double(T - 1), T - 1, result.auxiliary, AdamW.globalNorm(gradients), out))
    }
}
