import Foundation
import Generation
import SafeTensors
import Tensors

/// Turns "logit 0 is NaN or +infinity" into a message that names the checkpoint file and the
/// tensor at fault: a checkpoint from a stranger may hold NaN or infinite weights, and the
/// sampler only sees the result.
enum NonFiniteWeights {
    /// The scan stops after this many bytes of weights (a real M1 checkpoint is ~900 GB; the
    /// diagnosis runs only after a failure, and must not turn it into an hour's wait).
    static let scanLimitBytes = 4 << 30

    /// `error` itself, or for a non-finite logit a `CommandFailure` naming the first tensor of
    /// the checkpoint in `directory` that holds NaN or infinity (or saying none was found).
    static func explain(_ error: Error, directory: URL) -> Error {
        guard case SamplingError.nonFiniteLogit = error else { return error }
        guard let checkpoint = try? Checkpoint(directory: directory) else { return error }
        var scanned = 0
        for name in checkpoint.tensorNames {
            guard let tensor = try? checkpoint.tensor(name), scanned + tensor.byteCount <= scanLimitBytes else { continue }
            scanned += tensor.byteCount
            if let index = (0..<tensor.elementCount).first(where: { !tensor.element($0).isFinite }) {
                let file = checkpoint.weightMap[name] ?? "model.safetensors"
                return CommandFailure("\(directory.appendingPathComponent(file).path): tensor '\(name)' holds \(tensor.element(index)) "
                                      + "at element \(index); the model's logits are not finite (\(error))")
            }
        }
        return CommandFailure("\(directory.path): the model's logits are not finite (\(error)); its weights (model.safetensors) "
                              + "are finite, so the forward pass or the sampling options overflow float32")
    }
}
