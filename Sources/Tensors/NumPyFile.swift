import Foundation

public enum NumPyFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case unsupportedDType(path: String, descr: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): cannot read .npy file: \(reason)"
        case .malformed(let path, let reason): return "\(path): malformed .npy file: \(reason)"
        case .unsupportedDType(let path, let descr):
            return "\(path): unsupported .npy dtype '\(descr)' (expected '<f4', '<f8', '<i4' or '<i8')"
        }
    }
}

/// NumPy `.npy` (format 1.0) reading and writing of little-endian, C-ordered arrays.
public enum NumPyFile {
    /// Writes a float32 array. The file appears atomically: written beside the target, then renamed.
    public static func write(_ values: [Float], shape: [Int], to url: URL) throws {
        precondition(shape.reduce(1, *) == values.count, "npy shape does not match value count")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93])
        data += "NUMPY".data(using: .ascii)!
        data += Data([1, 0])
        let length = UInt16(header.utf8.count)
        data += Data([UInt8(length & 0xFF), UInt8(length >> 8)])
        data += header.data(using: .ascii)!
        values.withUnsafeBufferPointer { data += Data(buffer: $0) }
        try AtomicFile.write(data, to: url)
    }

    /// Reads an array as fp32 values with its shape.
    public static func read(_ url: URL) throws -> (values: [Float], shape: [Int]) {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw NumPyFileError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        guard data.count >= 10, data.prefix(6) == Data([0x93]) + "NUMPY".data(using: .ascii)! else {
            throw NumPyFileError.malformed(path: path, reason: "missing magic string")
        }
        let major = data[data.startIndex + 6]
        let headerLengthSize = major == 1 ? 2 : 4
        var headerLength = 0
        for i in 0..<headerLengthSize { headerLength |= Int(data[data.startIndex + 8 + i]) << (8 * i) }
        let headerStart = 8 + headerLengthSize
        guard data.count >= headerStart + headerLength,
              let header = String(data: data.subdata(in: headerStart..<(headerStart + headerLength)), encoding: .ascii)
        else { throw NumPyFileError.malformed(path: path, reason: "truncated header") }
        guard let descr = field("descr", in: header) else {
            throw NumPyFileError.malformed(path: path, reason: "header has no 'descr'")
        }
        if header.contains("'fortran_order': True") {
            throw NumPyFileError.malformed(path: path, reason: "Fortran-ordered arrays are not supported")
        }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw NumPyFileError.malformed(path: path, reason: "header has no 'shape'")
        }
        let shape = try header[open.upperBound..<close].split(separator: ",").map { part -> Int in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw NumPyFileError.malformed(path: path, reason: "bad shape entry '\(part)'")
            }
            return n
        }
        let count = shape.reduce(1, *)
        let width: Int
        switch descr {
        case "<f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        default: throw NumPyFileError.unsupportedDType(path: path, descr: descr)
        }
        let payloadStart = headerStart + headerLength
        guard data.count - payloadStart >= count * width else {
            throw NumPyFileError.malformed(path: path, reason: "payload holds \(data.count - payloadStart) bytes, shape needs \(count * width)")
        }
        let values: [Float] = data.withUnsafeBytes { raw in
            let p = raw.baseAddress! + payloadStart
            switch descr {
            case "<f4": return (0..<count).map { p.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            case "<f8": return (0..<count).map { Float(p.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
            case "<i4": return (0..<count).map { Float(p.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
            default: return (0..<count).map { Float(p.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            }
        }
        return (values, shape)
    }

    private static func field(_ name: String, in header: String) -> String? {
        guard let r = header.range(of: "'\(name)': '") else { return nil }
        let rest = header[r.upperBound...]
        guard let end = rest.firstIndex(of: "'") else { return nil }
        return String(rest[..<end])
    }
}

public struct FileWriteError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot write: \(reason)" }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Writes files so that readers never see half of one: a temporary sibling, then a rename.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileWriteError(path: url.path, reason: "directory \(directory.path) does not exist")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            // The POSIX reason (no space left on device, permission denied, …) when there is one.
            let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = underlying.map { String(cString: strerror(Int32($0.code))) } ?? (error as NSError).localizedDescription
            throw FileWriteError(path: url.path, reason: reason)
        }
        // rename(2) replaces an existing file atomically.
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw FileWriteError(path: url.path, reason: reason)
        }
    }
}
