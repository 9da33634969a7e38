/// The indices of the k largest values (largest first; ties keep the lower index first).
public enum TopK {
    /// Writes the k indices to `chosen[0..<k]` (insertion into a sorted list of k: no allocation).
    public static func select(_ values: UnsafePointer<Float>, count: Int, k: Int, into chosen: UnsafeMutablePointer<Int>) {
        precondition(k >= 0 && k <= count, "TopK: k = \(k) of \(count) values")
        var filled = 0
        for i in 0..<count {
            let v = values[i]
            if filled == k && !(k > 0 && v > values[chosen[k - 1]]) { continue }
            var position = min(filled, k - 1)
            if filled < k { filled += 1 }
            while position > 0 && v > values[chosen[position - 1]] {
                chosen[position] = chosen[position - 1]
                position -= 1
            }
            chosen[position] = i
        }
    }

    public static func indices(_ values: UnsafePointer<Float>, count: Int, k: Int) -> [Int] {
        [Int](unsafeUninitializedCapacity: k) { buffer, initialized in
            select(values, count: count, k: k, into: buffer.baseAddress!)
            initialized = k
        }
    }

    public static func indices(_ values: [Float], k: Int) -> [Int] {
        values.withUnsafeBufferPointer { indices($0.baseAddress!, count: $0.count, k: k) }
    }
}
