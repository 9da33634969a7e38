import Foundation

/// A bounded memo of `pre-token bytes → token ids`.
///
/// Natural text repeats its words, so most pre-tokens have been merged before. Keys and values
/// live in two flat arenas and the index is open-addressed, so a lookup allocates nothing; when
/// the cache fills up it is simply emptied (cheaper than an eviction policy, and the common words
/// come straight back). A lock makes it safe to share one tokenizer between threads.
final class PieceCache: @unchecked Sendable {
    private struct Entry {
        var hash: UInt64 = 0
        var keyStart: Int32 = 0
        var keyLength: Int32 = -1  // -1: empty slot
        var valueStart: Int32 = 0
        var valueLength: Int32 = 0
    }

    private let lock = NSLock()
    private var entries: [Entry]
    private var keyArena: [UInt8] = []
    private var valueArena: [Int32] = []
    private var count = 0
    private let maximumEntries: Int
    private let mask: Int

    /// Pieces longer than this are not worth a slot (they rarely repeat).
    static let maximumKeyLength = 256

    init(maximumEntries: Int = 1 << 16) {
        self.maximumEntries = maximumEntries
        var size = 16
        while size < maximumEntries * 2 { size <<= 1 }
        entries = [Entry](repeating: Entry(), count: size)
        mask = size - 1
    }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(key.count)
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash ^ (hash >> 29)
    }

    /// Appends the cached ids for `key` to `output` and returns true, or returns false.
    func lookup(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, appendingTo output: inout [Int]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        var index = Int(truncatingIfNeeded: hash) & mask
        while entries[index].keyLength >= 0 {
            let entry = entries[index]
            if entry.hash == hash, Int(entry.keyLength) == key.count,
               keyArena.withUnsafeBufferPointer({ arena in
                   memcmp(arena.baseAddress! + Int(entry.keyStart), key.baseAddress!, key.count) == 0
               }) {
                let start = Int(entry.valueStart)
                for offset in 0..<Int(entry.valueLength) { output.append(Int(valueArena[start + offset])) }
                return true
            }
            index = (index + 1) & mask
        }
        return false
    }

    func insert(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<Int>) {
        lock.lock()
        defer { lock.unlock() }
        if count >= maximumEntries || keyArena.count > maximumEntries * 64 {
            for index in entries.indices { entries[index].keyLength = -1 }
            keyArena.removeAll(keepingCapacity: true)
            valueArena.removeAll(keepingCapacity: true)
            count = 0
        }
        var index = Int(truncatingIfNeeded: hash) & mask
        while entries[index].keyLength >= 0 {
            let entry = entries[index]
            if entry.hash == hash, Int(entry.keyLength) == key.count { return }  // raced: already there
            index = (index + 1) & mask
        }
        entries[index] = Entry(hash: hash, keyStart: Int32(keyArena.count), keyLength: Int32(key.count),
                               valueStart: Int32(valueArena.count), valueLength: Int32(ids.count))
        keyArena.append(contentsOf: key)
        for id in ids { valueArena.append(Int32(truncatingIfNeeded: id)) }
        count += 1
    }
}
