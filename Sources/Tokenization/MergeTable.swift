/// Merge rules keyed by the ids of the two parts: `(left, right) → (rank, merged id)`.
///
/// BPE asks this table once or twice per byte of input, so it is an open-addressing hash table
/// over packed 64-bit keys rather than a `Dictionary` (whose hashing costs more than the lookup).
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]  // rank << 32 | merged id
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    /// Key 0 marks an empty slot, so ids are stored plus one.
    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left &+ 1)) << 32 | UInt64(UInt32(bitPattern: right &+ 1))
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    /// Adds a rule; when the pair is already present the earlier (lower-ranked) rule wins, as in
    /// `tokenizers`.
    mutating func insert(left: Int32, right: Int32, rank: Int32, merged: Int32) {
        if count * 2 >= keys.count { grow() }
        let key = Self.key(left, right)
        var index = slot(for: key)
        while keys[index] != 0 {
            if keys[index] == key { return }
            index = (index + 1) & mask
        }
        keys[index] = key
        values[index] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: merged))
        count += 1
    }

    /// `(rank, merged id)` packed as `rank << 32 | id`, or `UInt64.max` when the pair never merges
    /// (so the smallest packed value is also the best merge).
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> UInt64 {
        let key = Self.key(left, right)
        return keys.withUnsafeBufferPointer { keys in
            var index = slot(for: key)
            while true {
                let stored = keys[index]
                if stored == key { return values[index] }
                if stored == 0 { return UInt64.max }
                index = (index + 1) & mask
            }
        }
    }

    private mutating func grow() {
        var bigger = MergeTable(capacity: keys.count)
        for index in keys.indices where keys[index] != 0 {
            let left = Int32(truncatingIfNeeded: keys[index] >> 32) - 1
            let right = Int32(truncatingIfNeeded: keys[index] & 0xFFFF_FFFF) - 1
            let value = values[index]
            bigger.insert(left: left, right: right, rank: Int32(truncatingIfNeeded: value >> 32),
                          merged: Int32(truncatingIfNeeded: value & 0xFFFF_FFFF))
        }
        self = bigger
    }
}
