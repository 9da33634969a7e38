/// The scales of a quantized weight matrix (a `TensorView` of `int8` or `int4` codes).
///
/// The rows (all axes but the last, flattened) are split along the last axis, k, into groups of
/// `groupSize` elements, the last one possibly shorter; each group has one bf16 scale and, for
/// `int4`, one bf16 minimum:
/// - int8: w = code · scale, codes −127…127 (symmetric);
/// - int4: w = code · scale + min, codes 0…15, two per byte; each row takes ⌈k/2⌉ bytes. In every
///   whole block of 32 elements from the row's start, byte j holds element j in its low nibble and
///   element j + 16 in its high one (so sixteen bytes widen to two vectors of sixteen consecutive
///   elements); a last partial block holds consecutive pairs (element 2j low, 2j + 1 high).
/// `groupSize` is a multiple of 32, or at least k (one scale per row: int8's per-channel scheme).
public struct WeightQuantization: @unchecked Sendable {
    /// Elements per scale along k.
    public let groupSize: Int
    /// bf16 [rows, groups]
    public let scales: UnsafePointer<UInt16>
    /// bf16 [rows, groups]; `int4` only.
    public let minimums: UnsafePointer<UInt16>?

    public init(groupSize: Int, scales: UnsafePointer<UInt16>, minimums: UnsafePointer<UInt16>?) {
        precondition(groupSize > 0, "group size must be positive")
        self.groupSize = groupSize
        self.scales = scales
        self.minimums = minimums
    }

    /// Groups in a row of `k` elements.
    public func groups(k: Int) -> Int { (k + groupSize - 1) / groupSize }

    /// The scales (and minimums) of the rows from `row` on.
    public func advanced(rows: Int, k: Int) -> WeightQuantization {
        let offset = rows * groups(k: k)
        return WeightQuantization(groupSize: groupSize, scales: scales + offset, minimums: minimums.map { $0 + offset })
    }

    /// Whether a group size fits a row of k elements: a multiple of 32 or at least k.
    public static func isValidGroupSize(_ groupSize: Int, k: Int) -> Bool {
        groupSize >= k || (groupSize > 0 && groupSize % 32 == 0)
    }

    /// Byte offset of the int4 code of element j in a row of k, and whether it is the high nibble.
    @inline(__always)
    public static func int4Position(_ j: Int, k: Int) -> (byte: Int, high: Bool) {
        let block = j & ~31, offset = j - block
        if block + 32 <= k { return (block / 2 + (offset & 15), offset >= 16) }
        return (block / 2 + offset / 2, offset & 1 == 1)
    }
}

/// Keeps several buffers alive for one view (a quantized weight's codes and scales may sit in
/// different files).
public final class OwnerGroup: @unchecked Sendable {
    public let owners: [AnyObject]
    public init(_ owners: [AnyObject]) { self.owners = owners }
}
