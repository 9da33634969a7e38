import Tensors

extension MiniMaxModel {
    /// Runs `ids` after whatever `cache` holds, `chunk` tokens per forward call (bounding the
    /// activation memory of long prompts; 1 is token-by-token decoding). Returns the logits of
    /// every id, [T, V], or of the last one only, [1, V], with `lastTokenOnly`.
    public func prefill(_ ids: [Int], cache: inout ModelCache, chunk: Int, lastTokenOnly: Bool = true) throws -> Matrix {
        guard !ids.isEmpty else { throw ModelError.emptyInput }
        precondition(chunk > 0, "prefill: chunk must be at least 1, got \(chunk)")
        var parts: [Matrix] = []
        var start = 0
        while start < ids.count {
            let end = min(start + chunk, ids.count)
            let logits = try forward(Array(ids[start..<end]), cache: &cache, lastTokenOnly: lastTokenOnly)
            if !lastTokenOnly || end == ids.count { parts.append(logits) }
            start = end
        }
        return parts.count == 1 ? parts[0] : Matrix.stacking(parts)
    }
}
