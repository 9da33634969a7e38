/// A read-only view of a tensor that lives elsewhere (usually a memory-mapped checkpoint file).
/// `owner` keeps that memory alive for as long as the view exists.
public struct TensorView: @unchecked Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let base: UnsafeRawPointer
    public let owner: AnyObject?

    public init(dtype: DType, shape: [Int], base: UnsafeRawPointer, owner: AnyObject?) {
        self.dtype = dtype
        self.shape = shape
        self.base = base
        self.owner = owner
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * dtype.byteSize }

    /// Element `i` (flat, row-major) widened to fp32.
    @inline(__always)
    public func element(_ i: Int) -> Float {
        switch dtype {
        case .float32: return base.loadUnaligned(fromByteOffset: i &* 4, as: Float.self)
        case .bfloat16:
            return HalfPrecision.float(
                fromBFloat16: base.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
        case .float16:
            return HalfPrecision.float(
                fromFloat16: base.loadUnaligned(fromByteOffset: i &* 2, as: UInt16.self))
        }
    }

    /// All elements widened to fp32 (for small tensors: norms, test fixtures).
    public func toFloatArray() -> [Float] {
        (0..<elementCount).map { element($0) }
    }

    /// The sub-tensor `index` along the first axis, e.g. one expert of a fused [E, R, C] tensor.
    public func slice(_ index: Int) -> TensorView {
        precondition(!shape.isEmpty && index >= 0 && index < shape[0], "slice out of range")
        let inner = Array(shape.dropFirst())
        let stride = inner.reduce(1, *) * dtype.byteSize
        return TensorView(dtype: dtype, shape: inner, base: base + index * stride, owner: owner)
    }

    /// Rows `start ..< start + count` of a 2-D tensor.
    public func rows(_ start: Int, count: Int) -> TensorView {
        precondition(shape.count == 2 && start >= 0 && start + count <= shape[0], "rows out of range")
        return TensorView(
            dtype: dtype, shape: [count, shape[1]],
            base: base + start * shape[1] * dtype.byteSize, owner: owner)
    }
}

/// Memory owned by the process that a `TensorView` can point into (tests, converted tensors).
public final class OwnedBytes: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

extension TensorView {
    /// An owned tensor holding `values` stored as `dtype` (rounded to nearest-even for 16-bit types).
    public static func owned(_ values: [Float], shape: [Int], dtype: DType = .float32) -> TensorView {
        precondition(shape.reduce(1, *) == values.count, "shape does not match value count")
        let bytes = OwnedBytes(count: values.count * dtype.byteSize)
        for (i, v) in values.enumerated() {
            switch dtype {
            case .float32: bytes.pointer.storeBytes(of: v, toByteOffset: i * 4, as: Float.self)
            case .bfloat16:
                bytes.pointer.storeBytes(
                    of: HalfPrecision.bfloat16Bits(from: v), toByteOffset: i * 2, as: UInt16.self)
            case .float16:
                bytes.pointer.storeBytes(
                    of: HalfPrecision.float16Bits(from: v), toByteOffset: i * 2, as: UInt16.self)
            }
        }
        return TensorView(dtype: dtype, shape: shape, base: UnsafeRawPointer(bytes.pointer), owner: bytes)
    }
}
