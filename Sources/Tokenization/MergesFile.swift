/// Reads a `merges.txt`: an optional `#version` line, then one `left right` pair per line in
/// rank order.
enum MergesFile {
    static func parse(_ bytes: [UInt8], file: String) throws -> [(String, String)] {
        var merges: [(String, String)] = []
        merges.reserveCapacity(bytes.count / 8)
        var lineStart = 0
        var lineNumber = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            defer { lineStart = lineEnd + 1; lineNumber += 1 }
            let line = bytes[lineStart..<contentEnd]
            if line.isEmpty { continue }
            if lineNumber == 0, line.starts(with: Array("#version".utf8)) { continue }
            guard let space = line.firstIndex(of: 0x20), space > line.startIndex, space + 1 < line.endIndex,
                  !line[(space + 1)...].contains(0x20) else {
                throw TokenizerError.malformedMerge(file: file, merge: merges.count, text: String(decoding: line, as: UTF8.self))
            }
            merges.append((String(decoding: line[..<space], as: UTF8.self), String(decoding: line[(space + 1)...], as: UTF8.self)))
        }
        return merges
    }
}
