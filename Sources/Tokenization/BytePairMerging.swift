/// Applies merge rules to one pre-token: repeatedly merge the adjacent pair with the lowest rank,
/// leftmost first, until no pair has a rule. Same result as `tokenizers`' `Word::merge_all`.
enum BytePairMerging {
    /// Words longer than this use the heap; shorter ones a plain scan, which is faster there.
    static let heapThreshold = 32

    static func merge(_ symbols: inout [Int32], table: MergeTable) {
        if symbols.count < 2 { return }
        if symbols.count <= heapThreshold {
            mergeByScanning(&symbols, table: table)
        } else {
            mergeWithHeap(&symbols, table: table)
        }
    }

    /// O(n²) in the worst case but with n ≤ 32 and one table lookup per merge after the first
    /// pass (only the two pairs beside a merge change).
    private static func mergeByScanning(_ symbols: inout [Int32], table: MergeTable) {
        var pairs = [UInt64](repeating: .max, count: symbols.count - 1)
        for index in pairs.indices { pairs[index] = table.lookup(symbols[index], symbols[index + 1]) }
        while !pairs.isEmpty {
            var best = 0
            for index in 1..<pairs.count where pairs[index] < pairs[best] { best = index }
            let packed = pairs[best]
            if packed == .max { return }
            symbols[best] = Int32(truncatingIfNeeded: packed & 0xFFFF_FFFF)
            symbols.remove(at: best + 1)
            pairs.remove(at: best)
            if best > 0 { pairs[best - 1] = table.lookup(symbols[best - 1], symbols[best]) }
            if best < pairs.count { pairs[best] = table.lookup(symbols[best], symbols[best + 1]) }
        }
    }

    /// Doubly linked symbols and a min-heap of candidate merges keyed `(rank, position)`; stale
    /// candidates (a side already merged away) are dropped when they surface.
    private static func mergeWithHeap(_ symbols: inout [Int32], table: MergeTable) {
        let count = symbols.count
        var next = (0..<count).map { Int32($0 + 1) }
        var previous = (0..<count).map { Int32($0 - 1) }
        var alive = [Bool](repeating: true, count: count)
        next[count - 1] = -1
        var heap = MinHeap()
        func push(_ position: Int) {
            let right = Int(next[position])
            guard right >= 0 else { return }
            let packed = table.lookup(symbols[position], symbols[right])
            guard packed != .max else { return }
            heap.push(packed & 0xFFFF_FFFF_0000_0000 | UInt64(position))
        }
        for position in 0..<count - 1 { push(position) }
        while let top = heap.pop() {
            let rank = top >> 32
            let position = Int(top & 0xFFFF_FFFF)
            let right = Int(next[position])
            guard alive[position], right >= 0 else { continue }
            let packed = table.lookup(symbols[position], symbols[right])
            guard packed != .max, packed >> 32 == rank else { continue }
            symbols[position] = Int32(truncatingIfNeeded: packed & 0xFFFF_FFFF)
            alive[right] = false
            next[position] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
            if previous[position] >= 0 { push(Int(previous[position])) }
            push(position)
        }
        var merged: [Int32] = []
        merged.reserveCapacity(count)
        var position = 0
        while position >= 0 {
            merged.append(symbols[position])
            position = Int(next[position])
        }
        symbols = merged
    }
}

/// A binary min-heap of packed `UInt64` candidates.
private struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ item: UInt64) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                var smallest = left
                if left + 1 < items.count, items[left + 1] < items[left] { smallest = left + 1 }
                guard items[smallest] < items[parent] else { break }
                items.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return top
    }
}
