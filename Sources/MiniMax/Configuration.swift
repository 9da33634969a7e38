import Foundation

/// A MiniMax-M1 / MiniMax-Text-01 model's hyper-parameters, decoded from either `config.json`
/// dialect (the original `minimax_m1` remote-code keys or transformers' `minimax` keys) into one
/// validated value. Encoding writes the transformers dialect.
public struct Configuration: Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    /// Expert FFN width.
    public var intermediateSize: Int
    public var layerKinds: [LayerKind]
    public var headCount: Int
    public var keyValueHeadCount: Int
    /// Per-head width; need not equal hiddenSize / headCount (M1: 128 vs 6144 / 64 = 96).
    public var headDim: Int
    public var expertCount: Int
    public var expertsPerToken: Int
    public var rmsNormEpsilon: Float
    /// Epsilon of the RMSNorm over the concatenated lightning heads (the reference's class default).
    public var lightningNormEpsilon: Float = 1e-6
    public var ropeTheta: Double
    /// Features of each softmax-attention head that RoPE rotates (head_dim unless the config says
    /// `rotary_dim` or `partial_rotary_factor`).
    public var rotaryDim: Int
    /// Lightning attention prefill block length.
    public var blockSize: Int
    public var lightningResidual: ResidualFactors
    public var softmaxResidual: ResidualFactors
    public var mlpResidual: ResidualFactors
    /// Post-norm (the residual is the normalised input). transformers always does this; the
    /// original code also has a pre-norm variant.
    public var residualIsNormalized: Bool
    public var slidingWindow: Int?
    public var tieWordEmbeddings: Bool
    public var maxPositionEmbeddings: Int
    public var bosTokenID: Int?
    public var eosTokenIDs: [Int]
    /// `model_type` as written in the file.
    public var modelType: String
    /// How the checkpoint's weights are quantized (`minimax quantize`); nil for plain weights.
    public var quantization: QuantizationConfig? = nil

    public var layerCount: Int { layerKinds.count }

    /// Decay rate s_h of lightning head h in layer l: 2^(−8(h+1)/H) · (1 − l/(L − 1 + 1e−5) + 1e−5).
    public func lightningSlopes(layer: Int) -> [Float] {
        let base = 1 / pow(2.0, 8.0 / Double(headCount))
        let factor = 1 - Double(layer) / (Double(layerCount) - 1 + 1e-5) + 1e-5
        return (0..<headCount).map { Float(Float(pow(base, Double($0 + 1))) * Float(factor)) }
    }

    public func residual(for kind: LayerKind) -> ResidualFactors {
        kind == .lightning ? lightningResidual : softmaxResidual
    }
}

extension Configuration {
    /// Reads and validates `config.json` in `directory`.
    public static func load(directory: URL) throws -> Configuration {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ConfigurationError.notADirectory(path: directory.path)
        }
        let url = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ConfigurationError.missingFile(path: url.path)
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigurationError.invalidJSON(path: url.path, reason: error.localizedDescription)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes and validates a `config.json` payload; `path` names the file in errors.
    public static func decode(_ data: Data, path: String = "config.json") throws -> Configuration {
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw ConfigurationError.invalidJSON(path: path, reason: "not a JSON object")
        }
        let decoder = JSONDecoder()
        decoder.userInfo[configurationPathKey] = path
        do {
            let configuration = try decoder.decode(Configuration.self, from: data)
            try configuration.validate(path: path)
            return configuration
        } catch let error as ConfigurationError {
            throw error
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ConfigurationError.invalidField(
                path: path, field: fieldName(context.codingPath), reason: "has the wrong type (\(context.debugDescription))")
        } catch let DecodingError.keyNotFound(key, context) {
            throw ConfigurationError.missingField(path: path, field: fieldName(context.codingPath + [key]))
        } catch let DecodingError.dataCorrupted(context) {
            throw ConfigurationError.invalidJSON(path: path, reason: context.debugDescription)
        }
    }

    static func fieldName(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }
}

let configurationPathKey = CodingUserInfoKey(rawValue: "minimax.configurationPath")!
