/// The indices of the k largest values (largest first; ties keep the lower index first).
public enum TopK {
    public static func indices(_ values: UnsafePointer<Float>, count: Int, k: Int) -> [Int] {
        precondition(k >= 0 && k <= count, "TopK: k = \(k) of \(count) values")
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for i in 0..<count {
            let v = values[i]
            if best.count == k, let last = best.last, !(v > values[last]) { continue }
            var position = best.count
            while position > 0 && v > values[best[position - 1]] { position -= 1 }
            best.insert(i, at: position)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    public static func indices(_ values: [Float], k: Int) -> [Int] {
        values.withUnsafeBufferPointer { indices($0.baseAddress!, count: $0.count, k: k) }
    }
}
