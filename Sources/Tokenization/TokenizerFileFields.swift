import Foundation

/// A JSON object from a tokenizer file that remembers where it sits, so every failure can name
/// the file and the field path (`pre_tokenizer.pretokenizers[1].type`).
struct TokenizerFileFields {
    let values: [String: Any]
    let file: String
    let path: String

    init(values: [String: Any], file: String, path: String) {
        self.values = values
        self.file = file
        self.path = path
    }

    /// Parses `data` whose top level must be an object.
    init(parsing data: Data, file: String) throws {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TokenizerError.malformedJSON(file: file, reason: (error as NSError).localizedDescription)
        }
        guard let object = parsed as? [String: Any] else {
            throw TokenizerError.malformedJSON(file: file, reason: "the top level is not an object")
        }
        self.init(values: object, file: file, path: "")
    }

    func fieldPath(_ key: String) -> String {
        if key.isEmpty { return path.isEmpty ? "(top level)" : path }
        return path.isEmpty ? key : "\(path).\(key)"
    }

    /// True when the key is absent or JSON `null`.
    func isNull(_ key: String) -> Bool { values[key] == nil || values[key] is NSNull }

    func invalid(_ key: String, _ reason: String) -> TokenizerError {
        .invalidField(file: file, field: fieldPath(key), reason: reason)
    }

    func object(_ key: String) throws -> TokenizerFileFields {
        guard !isNull(key) else { throw TokenizerError.missingField(file: file, field: fieldPath(key)) }
        guard let object = values[key] as? [String: Any] else { throw invalid(key, "is not an object") }
        return TokenizerFileFields(values: object, file: file, path: fieldPath(key))
    }

    func optionalObject(_ key: String) throws -> TokenizerFileFields? {
        isNull(key) ? nil : try object(key)
    }

    func string(_ key: String) throws -> String {
        guard !isNull(key) else { throw TokenizerError.missingField(file: file, field: fieldPath(key)) }
        guard let string = values[key] as? String else { throw invalid(key, "is not a string") }
        return string
    }

    func optionalString(_ key: String) throws -> String? {
        isNull(key) ? nil : try string(key)
    }

    func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard !isNull(key) else { return defaultValue }
        // JSONSerialization hands numbers and booleans out as NSNumber; insist on a real boolean.
        guard let number = values[key] as? NSNumber, Self.isBoolean(number) else {
            throw invalid(key, "is not true or false")
        }
        return number.boolValue
    }

    /// JSON booleans arrive as NSNumbers of Objective-C type `c` (char) on every platform.
    static func isBoolean(_ number: NSNumber) -> Bool { number.objCType.pointee == CChar(UInt8(ascii: "c")) }

    /// The integer a JSON value holds, or nil (for the 200k-entry vocabulary loop, which cannot
    /// afford the per-field path bookkeeping of `integer(_:)`).
    static func integerValue(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        return Int(exactly: number.doubleValue)
    }

    func integer(_ key: String) throws -> Int {
        guard !isNull(key) else { throw TokenizerError.missingField(file: file, field: fieldPath(key)) }
        guard let number = values[key] as? NSNumber, !Self.isBoolean(number),
              let integer = Int(exactly: number.doubleValue) else { throw invalid(key, "is not an integer") }
        return integer
    }

    func optionalInteger(_ key: String, default defaultValue: Int) throws -> Int {
        isNull(key) ? defaultValue : try integer(key)
    }

    func array(_ key: String) throws -> [Any] {
        guard !isNull(key) else { throw TokenizerError.missingField(file: file, field: fieldPath(key)) }
        guard let array = values[key] as? [Any] else { throw invalid(key, "is not an array") }
        return array
    }

    /// The elements of an array of objects, each with its indexed path.
    func objects(_ key: String) throws -> [TokenizerFileFields] {
        try array(key).enumerated().map { index, element in
            guard let object = element as? [String: Any] else { throw invalid("\(key)[\(index)]", "is not an object") }
            return TokenizerFileFields(values: object, file: file, path: fieldPath("\(key)[\(index)]"))
        }
    }
}
