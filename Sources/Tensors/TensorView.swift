/// A read-only view of a tensor that lives elsewhere (usually a memory-mapped checkpoint file).
/// `owner` keeps that memory alive for as long as the view exists.
public struct TensorView: @unchecked Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let base: UnsafeRawPointer
    public let owner: AnyObject?
    /// The scales of `int8` / `int4` codes; nil for the dense types.
    public let quantization: WeightQuantization?

    public init(
        dtype: DType, shape: [Int], base: UnsafeRawPointer, owner: AnyObject?, quantization: WeightQuantization? = nil
    ) {
        precondition(dtype.isQuantized == (quantization != nil), "\(dtype) view: scales must come with quantized codes only")
        precondition(!dtype.isQuantized || !shape.isEmpty, "a quantized view has at least one axis")
        self.dtype = dtype
        self.shape = shape
        self.base = base
        self.owner = owner
        self.quantization = quantization
    }

    public var elementCount: Int { shape.reduce(1, *) }
    /// Length of the last axis (the one quantization groups run along).
    var rowLength: Int { shape.last ?? 1 }
    /// Rows: the product of all axes but the last.
    var rowCount: Int { shape.isEmpty ? 1 : shape.dropLast().reduce(1, *) }

    /// Bytes of the stored elements (codes only, for quantized views).
    public var dataByteCount: Int { dtype.isQuantized ? rowCount * dtype.rowBytes(rowLength) : elementCount * dtype.byteSize }

    /// The shape as a file stores the elements: an `int4` row of k codes is ⌈k/2⌉ bytes.
    public var storedShape: [Int] {
        dtype == .int4 ? shape.dropLast() + [dtype.rowBytes(rowLength)] : shape
    }

    /// Bytes the tensor occupies: its elements, and a quantized view's scales (and minimums).
    public var byteCount: Int {
        guard let q = quantization else { return dataByteCount }
        let perGroup = q.minimums == nil ? 2 : 4
        return dataByteCount + rowCount * q.groups(k: rowLength) * perGroup
    }

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
        case .int8, .int4:
            return dequantizedElement(i)
        }
    }

    /// Element `i` of a quantized view: code · scale (+ min), as the scheme defines it — the plain
    /// Swift decoding the C kernels are held equal to.
    func dequantizedElement(_ i: Int) -> Float {
        let q = quantization!, k = rowLength, row = i / k, j = i % k
        let group = row * q.groups(k: k) + j / q.groupSize
        let scale = HalfPrecision.float(fromBFloat16: q.scales[group])
        if dtype == .int8 {
            return Float(base.load(fromByteOffset: i, as: Int8.self)) * scale
        }
        let (byte, high) = WeightQuantization.int4Position(j, k: k)
        let packed = base.load(fromByteOffset: row * dtype.rowBytes(k) + byte, as: UInt8.self)
        let code = high ? packed >> 4 : packed & 15
        return Float(code) * scale + HalfPrecision.float(fromBFloat16: q.minimums![group])
    }

    /// All elements widened to fp32 (for small tensors: norms, test fixtures).
    public func toFloatArray() -> [Float] {
        (0..<elementCount).map { element($0) }
    }

    /// The sub-tensor `index` along the first axis, e.g. one expert of a fused [E, R, C] tensor.
    public func slice(_ index: Int) -> TensorView {
        precondition(!shape.isEmpty && index >= 0 && index < shape[0], "slice out of range")
        let inner = Array(shape.dropFirst())
        guard dtype.isQuantized else {
            let stride = inner.reduce(1, *) * dtype.byteSize
            return TensorView(dtype: dtype, shape: inner, base: base + index * stride, owner: owner)
        }
        precondition(inner.count >= 1, "slicing a quantized vector")
        let rows = inner.dropLast().reduce(1, *)
        return TensorView(
            dtype: dtype, shape: inner, base: base + index * rows * dtype.rowBytes(rowLength), owner: owner,
            quantization: quantization!.advanced(rows: index * rows, k: rowLength))
    }

    /// Rows `start ..< start + count` of a 2-D tensor.
    public func rows(_ start: Int, count: Int) -> TensorView {
        precondition(shape.count == 2 && start >= 0 && start + count <= shape[0], "rows out of range")
        return TensorView(
            dtype: dtype, shape: [count, shape[1]], base: base + start * dtype.rowBytes(shape[1]), owner: owner,
            quantization: quantization?.advanced(rows: start, k: shape[1]))
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
    /// An owned tensor holding `values` stored as `dtype` (rounded to nearest-even for 16-bit types;
    /// quantized along the last axis for `int8` / `int4`, see `quantized`).
    public static func owned(_ values: [Float], shape: [Int], dtype: DType = .float32) -> TensorView {
        precondition(shape.reduce(1, *) == values.count, "shape does not match value count")
        if dtype.isQuantized { return quantized(values, shape: shape, dtype: dtype) }
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
            case .int8, .int4:
                preconditionFailure("quantized above")
            }
        }
        return TensorView(dtype: dtype, shape: shape, base: UnsafeRawPointer(bytes.pointer), owner: bytes)
    }
}

extension TensorView {
    /// `values` [..., k] quantized row by row into owned memory: `int8` with one scale per
    /// `groupSize` elements (default: one per row), `int4` with a scale and a minimum per
    /// `groupSize` (default 32) elements.
    public static func quantized(
        _ values: [Float], shape: [Int], dtype: DType, groupSize: Int? = nil,
        int4Offset: WeightQuantizer.Int4Offset = .minimum
    ) -> TensorView {
        precondition(dtype.isQuantized && !shape.isEmpty && shape.reduce(1, *) == values.count, "quantized: \(dtype) \(shape)")
        let k = shape[shape.count - 1], rows = k == 0 ? 0 : values.count / k
        let group = max(1, groupSize ?? (dtype == .int8 ? k : 32))
        precondition(WeightQuantization.isValidGroupSize(group, k: k), "group size \(group) for rows of \(k)")
        let groups = (k + group - 1) / group, rowBytes = dtype.rowBytes(k)
        let codes = OwnedBytes(count: rows * rowBytes), scales = OwnedBytes(count: rows * groups * 2)
        let minimums = OwnedBytes(count: dtype == .int4 ? rows * groups * 2 : 0)
        let scalePointer = scales.pointer.bindMemory(to: UInt16.self, capacity: max(1, rows * groups))
        let minimumPointer = minimums.pointer.bindMemory(to: UInt16.self, capacity: max(1, rows * groups))
        values.withUnsafeBufferPointer { v in
            for r in 0..<rows {
                let row = v.baseAddress! + r * k, codeRow = codes.pointer + r * rowBytes
                if dtype == .int8 {
                    WeightQuantizer.quantizeInt8(
                        row, k: k, groupSize: group, codes: codeRow.assumingMemoryBound(to: Int8.self),
                        scales: scalePointer + r * groups)
                } else {
                    WeightQuantizer.quantizeInt4(
                        row, k: k, groupSize: group, offset: int4Offset, codes: codeRow.assumingMemoryBound(to: UInt8.self),
                        scales: scalePointer + r * groups, minimums: minimumPointer + r * groups)
                }
            }
        }
        let quantization = WeightQuantization(
            groupSize: group, scales: UnsafePointer(scalePointer), minimums: dtype == .int4 ? UnsafePointer(minimumPointer) : nil)
        return TensorView(
            dtype: dtype, shape: shape, base: UnsafeRawPointer(codes.pointer), owner: OwnerGroup([codes, scales, minimums]),
            quantization: quantization)
    }
}
