/// A checkpoint whose tensors do not fit its configuration.
public enum WeightError: Error, CustomStringConvertible, Equatable {
    case missingTensor(name: String, directory: String)
    case wrongShape(name: String, file: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .missingTensor(let name, let directory):
            return "\(directory): tensor '\(name)' is missing from the checkpoint"
        case .wrongShape(let name, let file, let expected, let actual):
            return "\(file): tensor '\(name)' has shape \(actual), the configuration needs \(expected)"
        }
    }
}
