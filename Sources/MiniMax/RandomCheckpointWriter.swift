import Foundation
import SafeTensors
import Tensors

/// Writes a checkpoint directory with random weights for a configuration: for examples, tests and
/// benchmarks that need a model of a given shape but no trained one. Weights are uniform in
/// ±`scale`/√fan-in (norm weights near 1) so activations stay O(1) through the layers.
public enum RandomCheckpointWriter {
    public static func write(
        _ configuration: Configuration, to directory: URL, dtype: DType = .float32, seed: UInt64 = 0,
        scale: Float = 1
    ) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(configuration), to: directory.appendingPathComponent("config.json"))
        var tensors: [(name: String, tensor: TensorView)] = []
        var random = SplitMix64(seed: seed)
        for p in ParameterTree(configuration).parameters {
            let isNorm = p.role == .norm
            let amplitude = isNorm ? 0.1 : (p.role == .embedding ? 1 : scale / Float(p.fanIn).squareRoot())
            var values = [Float](repeating: 0, count: p.elementCount)
            for i in values.indices {
                let uniform = random.nextSignedUnitFloat()
                values[i] = (isNorm ? 1 : 0) + amplitude * uniform * (3 as Float).squareRoot()
            }
            tensors.append((p.name, TensorView.owned(values, shape: p.shape, dtype: dtype)))
        }
        try SafeTensorsWriter.write(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent("model.safetensors"))
    }
}
