/// A checkpoint whose tensors do not fit its configuration.
public enum WeightError: Error, CustomStringConvertible, Equatable {
    case missingTensor(name: String, directory: String)
    case wrongShape(name: String, file: String, expected: [Int], actual: [Int])
    /// A quantized checkpoint's codes, scales or minimums stored as the wrong type.
    case wrongDType(name: String, file: String, expected: String, actual: String)
    /// Scales (or minimums) that do not match their codes: one per group of each row.
    case wrongScaleShape(name: String, file: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .missingTensor(let name, let directory):
            return "\(directory): tensor '\(name)' is missing from the checkpoint"
        case .wrongShape(let name, let file, let expected, let actual):
            return "\(file): tensor '\(name)' has shape \(actual), the configuration needs \(expected)"
        case .wrongDType(let name, let file, let expected, let actual):
            return "\(file): tensor '\(name)' is stored as \(actual), the quantization_config needs \(expected)"
        case .wrongScaleShape(let name, let file, let expected, let actual):
            return "\(file): tensor '\(name)' has shape \(actual), its codes and the quantization_config's group size need \(expected)"
        }
    }
}
