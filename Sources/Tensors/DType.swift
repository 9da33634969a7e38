/// Element types a checkpoint may store. Compute is always fp32; narrower types are widened on load
/// into registers (never into a full fp32 copy of the weights).
public enum DType: String, Sendable, CaseIterable {
    case float32
    case float16
    case bfloat16

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32: return 4
        case .float16, .bfloat16: return 2
        }
    }

    /// The spelling used in safetensors headers ("F32", "F16", "BF16").
    public init?(safetensorsName: String) {
        switch safetensorsName {
        case "F32": self = .float32
        case "F16": self = .float16
        case "BF16": self = .bfloat16
        default: return nil
        }
    }

    public var safetensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        }
    }
}
