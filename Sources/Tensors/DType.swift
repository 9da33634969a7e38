/// Element types a checkpoint may store. Compute is always fp32; narrower types are widened on load
/// into registers (never into a full fp32 copy of the weights). The quantized types (`int8`,
/// `int4`) are weight codes that mean something only with their scales: a `TensorView` of them
/// always carries a `WeightQuantization`.
public enum DType: String, Sendable, CaseIterable {
    case float32
    case float16
    case bfloat16
    /// Signed 8-bit codes (safetensors "I8"): w = code · scale.
    case int8
    /// Unsigned 4-bit codes, two per byte (stored as safetensors "U8"): w = code · scale + min.
    case int4

    /// The dense element types: everything but the quantized codes (what a tensor of plain values
    /// can be stored as).
    public static let allCases: [DType] = [.float32, .float16, .bfloat16]
    /// The quantized weight codes.
    public static let quantizedCases: [DType] = [.int8, .int4]

    public var isQuantized: Bool { self == .int8 || self == .int4 }

    /// Bits per element.
    public var bitWidth: Int {
        switch self {
        case .float32: return 32
        case .float16, .bfloat16: return 16
        case .int8: return 8
        case .int4: return 4
        }
    }

    /// Bytes per element of the whole-byte types (not `int4`: see `rowBytes`).
    public var byteSize: Int {
        precondition(self != .int4, "int4 elements are half a byte: use rowBytes(_:)")
        return bitWidth / 8
    }

    /// Bytes of a row of `count` elements (int4 rows round up to whole bytes).
    public func rowBytes(_ count: Int) -> Int { (count * bitWidth + 7) / 8 }

    /// The spelling used in safetensors headers ("F32", "F16", "BF16") of the dense types; nil for
    /// any other name (quantized codes are read with their scales, never as plain tensors).
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
        case .int8: return "I8"
        case .int4: return "U8"
        }
    }
}
