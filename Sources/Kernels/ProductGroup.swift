import Tensors

/// Several row-wise products run as one parallel loop: member i is `out_i[T_i, N_i] = x_i[T_i, K_i]
/// · W_iᵀ` on the matrix-vector kernels (under `precision: .int8` with quantized weights, the
/// int8-activation kernel), each output bit for bit what `MatMul.multiply(_:rows:singleRows:…)`
/// gives it with all T_i rows single. Threads split the union of the members' weight rows, so a
/// decode step's small products (two experts' gate and up projections, say) wait at one barrier
/// instead of one each, and the memory streams of one product run on into the next.
///
/// Reusable and allocation-free once it has held as many members as a call adds (`removeAll`
/// keeps the room): take one per thread with `ScratchMemory.withReusable`.
public final class ProductGroup: ParallelLoop {
    /// One member's kernel over a range of its weight rows (`MatrixVectorLoop` or
    /// `QuantizedActivationLoop`), and where its rows start in the union.
    private var loops: [ParallelLoop] = []
    private var starts: [Int] = [0]
    private var vectorLoops: [MatrixVectorLoop] = []
    /// Activations rounded to bf16 for vector loop i (`precision: .bfloat16` with bf16 weights), grown as needed.
    private var rounded: [UnsafeMutableBufferPointer<Float>] = []
    private var quantizedLoops: [QuantizedActivationLoop] = []
    private var usedVector = 0, usedQuantized = 0
    private var grain = 1
    /// Inputs quantized since the members were last forgotten (members of one input share one).
    private(set) var quantizations = 0

    public init() {}

    deinit { for buffer in rounded { buffer.deallocate() } }

    /// Members in the group.
    public var count: Int { loops.count }

    /// Forgets the members (keeping their room).
    public func removeAll() {
        var i = 0
        while i < usedQuantized {
            (quantizedLoops[i].weight, quantizedLoops[i].shared, quantizedLoops[i].input) = (nil, nil, nil)
            i += 1
        }
        loops.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        starts.append(0)
        usedVector = 0
        usedQuantized = 0
        quantizations = 0
        grain = 1
    }

    /// Adds out[T, N] = x[T, K] · Wᵀ (fp32, bf16, int8 or int4 weights; activations quantized or
    /// rounded here where MatMul would). x and out must stay valid, and x unchanged, until `run`,
    /// which writes out; members with the same x, rows and int8 layout share one quantization of it.
    public func add(
        _ x: UnsafePointer<Float>, rows: Int, weight: TensorView, into out: UnsafeMutablePointer<Float>,
        precision: MatMulPrecision
    ) {
        precondition(weight.shape.count == 2 && weight.dtype != .float16, "ProductGroup: 2-D fp32/bf16/int8/int4 weight, got \(weight.dtype) \(weight.shape)")
        let n = weight.shape[0], k = weight.shape[1]
        guard rows > 0, n > 0 else { return }
        if precision == .int8 && weight.dtype.isQuantized {
            if usedQuantized == quantizedLoops.count { quantizedLoops.append(QuantizedActivationLoop()) }
            let loop = quantizedLoops[usedQuantized], layout = QuantizedActivations.Layout(for: weight.dtype)
            // Members of one input (an expert's gate and up, the experts of one token, attention's
            // q, k and v) share its quantization: x is unchanged until `run`.
            var twin = 0
            while twin < usedQuantized {
                let other = quantizedLoops[twin].activations
                if quantizedLoops[twin].input == x && quantizedLoops[twin].shared == nil && other.rows == rows && other.k == k
                    && other.layout == layout { break }
                twin += 1
            }
            usedQuantized += 1
            if twin < usedQuantized - 1 {
                loop.shared = quantizedLoops[twin].activations
            } else {
                loop.activations.quantize(x, rows: rows, k: k, layout: layout)
                quantizations += 1
            }
            loop.input = x
            loop.weight = weight
            loop.out = out
            loops.append(loop)
        } else {
            if usedVector == vectorLoops.count {
                vectorLoops.append(MatrixVectorLoop())
                rounded.append(UnsafeMutableBufferPointer(start: nil, count: 0))
            }
            let loop = vectorLoops[usedVector]
            var input = x
            if precision.roundsBFloat16Activations && weight.dtype == .bfloat16 {
                // As MatMul's single rows: the activations rounded to bf16 first.
                if rounded[usedVector].count < rows * k {
                    rounded[usedVector].deallocate()
                    rounded[usedVector] = .allocate(capacity: rows * k)
                }
                BFloat16DotMatMul.round(x, count: rows * k, into: rounded[usedVector].baseAddress!)
                input = UnsafePointer(rounded[usedVector].baseAddress!)
            }
            usedVector += 1
            loop.set(x: input, rows: rows, weight: weight, out: out)
            loops.append(loop)
        }
        starts.append(starts[starts.count - 1] + n)
        grain = max(grain, MatMul.weightRowGrain(n: n, k: k, rows: rows, parallel: true))
    }

    /// Runs every member (on the calling thread alone when `parallel` is false), then forgets them.
    public func run(parallel: Bool = true) {
        let total = starts[starts.count - 1]
        if total > 0 { Parallel.forEachRange(total, grain: parallel ? grain : total, loop: self) }
        removeAll()
    }

    /// The members' weight rows in `range` of the union, member by member.
    public func run(_ range: Range<Int>) {
        // The last member starting at or before the range (few members: a linear scan).
        var member = 0
        while member + 1 < loops.count && starts[member + 1] <= range.lowerBound { member += 1 }
        var row = range.lowerBound
        while row < range.upperBound {
            let end = min(range.upperBound, starts[member + 1])
            loops[member].run((row - starts[member])..<(end - starts[member]))
            row = end
            member += 1
        }
    }
}
