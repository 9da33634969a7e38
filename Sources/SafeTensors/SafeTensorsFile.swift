import Foundation
import Tensors

/// One tensor's header entry, already checked against the file.
public struct SafeTensorsEntry: Sendable, Equatable {
    public let name: String
    /// The dtype as spelled in the file ("BF16", "F32", "I64", …).
    public let dtypeName: String
    /// The compute dtype, or nil for a stored type the engine does not compute with.
    public let dtype: DType?
    public let shape: [Int]
    /// Byte range inside the file (not the data section).
    public let byteRange: Range<Int>
}

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header naming every
/// tensor's dtype, shape and data offsets, then the raw data. Every offset and size is checked
/// against the file before any byte is read. Memory-mapped (`.map`), or read into memory
/// (`.memory`) with each tensor placed 64-byte aligned — the file's own offsets follow a header
/// of any length and tensors of any size, so in place most rows would straddle cache lines.
public final class SafeTensorsFile: @unchecked Sendable {
    public let url: URL
    public let entries: [String: SafeTensorsEntry]
    public let metadata: [String: String]
    private let mapping: MappedFile
    /// Where each tensor's bytes are: in the mapping at its file offset, or (read into memory)
    /// placed 64-byte aligned.
    private let addresses: [String: UnsafeRawPointer]

    /// Bytes per element of every dtype the safetensors format defines.
    static let knownDTypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
    ]

    public init(url: URL, mode: MappedFile.LoadMode = .map) throws {
        self.url = url
        let path = url.path
        // The header is parsed from a mapping; read into memory, the tensors are placed aligned.
        let mapping = try MappedFile(path: path, mode: .map)
        guard mapping.size >= 8 else {
            throw SafeTensorsError.truncated(path: path, reason: "\(mapping.size) bytes, shorter than the 8-byte header length")
        }
        // An unsigned 64-bit count: random bytes give huge values, never negative ones.
        let claimedLength = UInt64(littleEndian: mapping.bytes.loadUnaligned(as: UInt64.self))
        guard claimedLength <= UInt64(mapping.size - 8) else {
            // Far beyond any real header (they are megabytes at most): not a safetensors file at all.
            if claimedLength > 1 << 40 {
                throw SafeTensorsError.invalidHeader(path: path, reason: "the first 8 bytes give a header length of \(claimedLength) bytes; this is not a safetensors file")
            }
            throw SafeTensorsError.truncated(path: path, reason: "header claims \(claimedLength) bytes but the file has \(mapping.size - 8) after the length")
        }
        let headerLength = Int(claimedLength)
        guard headerLength >= 2 else {
            throw SafeTensorsError.invalidHeader(path: path, reason: "header length \(headerLength) is too short for a JSON object")
        }
        let headerData = Data(bytes: mapping.bytes + 8, count: headerLength)
        guard let json = try? JSONSerialization.jsonObject(with: headerData), let header = json as? [String: Any] else {
            throw SafeTensorsError.invalidHeader(path: path, reason: "not a JSON object")
        }
        let dataStart = 8 + headerLength
        let dataSize = mapping.size - dataStart
        var entries: [String: SafeTensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = v as? String ?? "\(v)" }
                continue
            }
            entries[name] = try Self.parseEntry(name: name, value: value, path: path, dataStart: dataStart, dataSize: dataSize)
        }
        self.entries = entries
        self.metadata = metadata
        let names = entries.keys.sorted { entries[$0]!.byteRange.lowerBound < entries[$1]!.byteRange.lowerBound }
        if mode == .memory, let copy = try MappedFile(path: path, placing: names.map { entries[$0]!.byteRange }) {
            self.mapping = copy
            addresses = Dictionary(uniqueKeysWithValues: zip(names, copy.placed))
        } else {
            // Mapped (or, read into memory, a malformed file's overlapping tensors): in place.
            let whole = mode == .memory ? try MappedFile(path: path, mode: .memory) : mapping
            self.mapping = whole
            addresses = Dictionary(uniqueKeysWithValues: names.map { ($0, whole.bytes + entries[$0]!.byteRange.lowerBound) })
        }
    }

    private static func parseEntry(name: String, value: Any, path: String, dataStart: Int, dataSize: Int) throws -> SafeTensorsEntry {
        guard let fields = value as? [String: Any] else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "not an object")
        }
        guard let dtypeName = fields["dtype"] as? String else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "missing 'dtype'")
        }
        guard let elementSize = knownDTypeSizes[dtypeName] else {
            throw SafeTensorsError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = fields["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "'shape' is not a list of non-negative integers")
        }
        guard let offsetValues = fields["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2 else {
            throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "'data_offsets' is not a pair of integers")
        }
        let begin = offsets[0], end = offsets[1]
        guard begin >= 0, end >= begin, end <= dataSize else {
            throw SafeTensorsError.offsetsOutOfBounds(path: path, tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw SafeTensorsError.invalidEntry(path: path, tensor: name, reason: "shape \(shape) overflows") }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, bytes == end - begin else {
            throw SafeTensorsError.sizeMismatch(path: path, tensor: name, shape: shape, dtype: dtypeName, bytes: end - begin)
        }
        return SafeTensorsEntry(
            name: name, dtypeName: dtypeName, dtype: DType(safetensorsName: dtypeName), shape: shape,
            byteRange: (dataStart + begin)..<(dataStart + end))
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for v in values {
            // JSONSerialization gives NSNumber (booleans are a subclass); reject them and fractions.
            guard let n = v as? NSNumber, !String(describing: type(of: n)).contains("Boolean") else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9.0e15 else { return nil }
            result.append(n.intValue)
        }
        return result
    }

    /// A view of tensor `name` pointing into the mapping or the in-memory copy.
    public func tensor(_ name: String) throws -> TensorView {
        guard let entry = entries[name] else {
            throw SafeTensorsError.tensorNotFound(name: name, directory: url.path)
        }
        guard let dtype = entry.dtype else {
            throw SafeTensorsError.unsupportedDType(path: url.path, tensor: name, dtype: entry.dtypeName)
        }
        return TensorView(dtype: dtype, shape: entry.shape, base: addresses[name]!, owner: mapping)
    }

    /// Tensor `name`'s header entry and the address of its bytes, whatever its dtype (quantized
    /// codes are read this way and given their scales by the caller); `owner` keeps them mapped.
    public func bytes(_ name: String) throws -> (entry: SafeTensorsEntry, base: UnsafeRawPointer, owner: AnyObject) {
        guard let entry = entries[name] else {
            throw SafeTensorsError.tensorNotFound(name: name, directory: url.path)
        }
        return (entry, addresses[name]!, mapping)
    }
}
