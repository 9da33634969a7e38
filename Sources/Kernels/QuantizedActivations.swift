import CKernels
import Tensors

/// Activations quantized to int8 per block of 32 (scale d = max|x| / 127, codes roundeven(x / d),
/// and each block's fp32 sum Σx) for the integer products with int8 and q4 weights
/// (`QuantizedMatVec.multiply(_:weight:…)`). The codes' order depends on the weight dtype they will
/// meet (`Layout`; the byte layout is documented in CKernels.h, `minimax_quantize_activations_q8`).
///
/// The buffer is reused: `quantize` allocates only when a call needs more room than any before it
/// (or than `reserve` set aside), so a decode loop that keeps one allocates nothing per token.
public final class QuantizedActivations: @unchecked Sendable {
    /// Which weights the codes are laid out for.
    public enum Layout: Sendable {
        /// Each span's blocks transposed into the integer lanes, with −128 · Σa per block (the
        /// correction for int8 weights met as the unsigned operand w + 128).
        case int8Weights
        /// Each span's blocks transposed into the integer lanes, the codes ordered as the partners of
        /// the q4 bytes' low and high nibbles.
        case int4Weights

        /// The layout for weights of `dtype` (`int8` or `int4`).
        public init(for dtype: DType) {
            precondition(dtype.isQuantized, "QuantizedActivations: no layout for \(dtype) weights")
            self = dtype == .int8 ? .int8Weights : .int4Weights
        }

        var code: Int32 { self == .int8Weights ? Int32(MINIMAX_Q8_LAYOUT_INT8) : Int32(MINIMAX_Q8_LAYOUT_Q4) }
    }

    /// Elements per block (one scale and one sum each).
    public static let blockSize = Int(MINIMAX_Q8_BLOCK)

    /// The quantized rows' count, length and layout (zero until the first `quantize`).
    public private(set) var rows = 0
    public private(set) var k = 0
    public private(set) var layout = Layout.int8Weights

    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0

    public init() {}

    /// Sets aside room for `rows` rows of `k` elements, so later calls of that size allocate nothing.
    public convenience init(reservingRows rows: Int, k: Int) {
        self.init()
        reserve(rows: rows, k: k)
    }

    deinit { storage?.deallocate() }

    /// Bytes of one quantized row of k elements.
    public static func rowBytes(k: Int) -> Int { minimax_q8_activation_row_bytes(k) }

    public func reserve(rows: Int, k: Int) {
        let bytes = rows * Self.rowBytes(k: k)
        guard bytes > capacity else { return }
        storage?.deallocate()
        storage = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        capacity = bytes
    }

    /// Quantizes x [rows, k] (row stride `stride`, default k) for weights of `layout`.
    public func quantize(_ x: UnsafePointer<Float>, rows: Int, k: Int, stride: Int? = nil, layout: Layout) {
        precondition(rows >= 0 && k > 0 && (stride ?? k) >= k, "QuantizedActivations: rows \(rows), k \(k), stride \(stride ?? k)")
        reserve(rows: rows, k: k)
        (self.rows, self.k, self.layout) = (rows, k, layout)
        guard rows > 0 else { return }
        // Rows are independent: a prompt's (or a large batch's) are split across threads (~16k
        // values a task) through a reusable loop object; a decode step's few go straight to the
        // kernel on the calling thread. Allocation-free either way.
        let grain = max(1, Parallel.elementwiseGrain / k)
        guard Parallel.threads(for: rows, grain: grain) > 1 else {
            minimax_quantize_activations_q8(x, rows, stride ?? k, k, layout.code, base.assumingMemoryBound(to: UInt8.self))
            return
        }
        ScratchMemory.withReusable(QuantizeRowsLoop.self, make: QuantizeRowsLoop.init) { loop in
            (loop.x, loop.stride, loop.k, loop.layout, loop.dst) = (x, stride ?? k, k, layout.code, base)
            Parallel.forEachRange(rows, grain: grain, loop: loop)
        }
    }

    /// The quantized rows (`rows` of `rowBytes(k:)` bytes, 64-byte aligned).
    var base: UnsafeMutableRawPointer { storage ?? UnsafeMutableRawPointer(bitPattern: 64)! }

    // Reading the blocks back in natural order (tests, diagnostics).

    /// The code of element i of row t.
    public func code(row t: Int, element i: Int) -> Int8 {
        precondition(t < rows && i < k, "QuantizedActivations: element \(i) of row \(t) in [\(rows), \(k)]")
        let row = base + t * Self.rowBytes(k: k), span = i / 512, block = i / 32, offset = i % 32
        let lane = Self.lane(ofBlock: block % 16), partial = block * 32 + 32 > k
        let position: Int
        if layout == .int8Weights {
            position = 64 * (offset / 4) + 4 * lane + offset % 4
        } else {
            let (byte, high) = partial ? (offset / 2, offset % 2) : (offset % 16, offset / 16)
            position = 128 * (byte / 4) + 64 * high + 4 * lane + byte % 4
        }
        return row.load(fromByteOffset: span * 512 + position, as: Int8.self)
    }

    /// d of block b of row t.
    public func scale(row t: Int, block b: Int) -> Float { blockValue(t, b, part: 0, as: Float.self) }

    /// Σx of block b of row t.
    public func sum(row t: Int, block b: Int) -> Float { blockValue(t, b, part: 1, as: Float.self) }

    /// −128 · Σa of block b of row t (int8 layout; 0 in the q4 one).
    public func correction(row t: Int, block b: Int) -> Int32 { blockValue(t, b, part: 2, as: Int32.self) }

    /// The integer lane of its span that holds block b of a span (CKernels.h's β, its own inverse).
    static func lane(ofBlock b: Int) -> Int { 4 * (b % 4) + b / 4 }

    private func blockValue<Value>(_ t: Int, _ b: Int, part: Int, as type: Value.Type) -> Value {
        let spans = (k + 511) / 512
        precondition(t < rows && b < spans * 16, "QuantizedActivations: block \(b) of row \(t)")
        let values = base + t * Self.rowBytes(k: k) + spans * 512 + part * spans * 16 * 4
        return values.load(fromByteOffset: (16 * (b / 16) + Self.lane(ofBlock: b % 16)) * 4, as: type)
    }
}

/// Quantizes a range of rows (`QuantizedActivations.quantize`): one reusable object per thread.
final class QuantizeRowsLoop: ParallelLoop {
    var x = UnsafePointer<Float>(bitPattern: 64)!
    var stride = 0, k = 0
    var layout: Int32 = 0
    var dst = UnsafeMutableRawPointer(bitPattern: 64)!

    func run(_ range: Range<Int>) {
        minimax_quantize_activations_q8(
            x + range.lowerBound * stride, range.count, stride, k, layout,
            (dst + range.lowerBound * QuantizedActivations.rowBytes(k: k)).assumingMemoryBound(to: UInt8.self))
    }
}
