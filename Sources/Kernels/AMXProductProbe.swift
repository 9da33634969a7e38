import CKernels
import Tensors

/// The AMX bf16 product's work in parts (its `weights-a` layout, `AMXBFloat16MatMul.Layout`), for
/// `minimax bench-kernels --amx-parts`: each case but `whole` leaves some of it out (its results are
/// then wrong on purpose), so that timing what remains says where the product's time goes — the C
/// tiles' store and their transposed copy into `out`, the weight tiles' loads, the activation tiles'
/// loads.
public enum AMXProductProbe: CaseIterable, Sendable {
    /// The whole product on activations packed once beforehand.
    case whole
    /// The C tiles stored to the stack, not copied into `out`.
    case withoutScatter
    /// The C tiles neither stored nor copied: loads and tile products only.
    case withoutStore
    /// As `withoutStore`, every weight block of a chunk read from its first block (L1-resident).
    case weightsFromOneBlock
    /// As `withoutStore`, every block of activations read from the first one (L1/L2-resident).
    case activationsFromOneBlock
    /// Both: the tile step with its operands in L1, as the load probe's smallest buffer.
    case operandsFromOneBlock

    var flags: Int32 {
        let noStore = Int32(MINIMAX_AMX_PROBE_NO_STORE), sameWeights = Int32(MINIMAX_AMX_PROBE_SAME_WEIGHTS)
        let sameActivations = Int32(MINIMAX_AMX_PROBE_SAME_ACTIVATIONS)
        switch self {
        case .whole: return 0
        case .withoutScatter: return Int32(MINIMAX_AMX_PROBE_NO_SCATTER)
        case .withoutStore: return noStore
        case .weightsFromOneBlock: return noStore | sameWeights
        case .activationsFromOneBlock: return noStore | sameActivations
        case .operandsFromOneBlock: return noStore | sameWeights | sameActivations
        }
    }

    public var summary: String {
        switch self {
        case .whole: return "tiles + store + copy into out (the weights-a product)"
        case .withoutScatter: return "tiles + store, no copy into out"
        case .withoutStore: return "tiles only (loads and tdpbf16ps)"
        case .weightsFromOneBlock: return "tiles only, weights from one block"
        case .activationsFromOneBlock: return "tiles only, activations from one block"
        case .operandsFromOneBlock: return "tiles only, both from one block"
        }
    }
}

/// Activations packed once for the AMX product, to time its parts (`AMXProductProbe`) and the
/// packing itself separately. Owns its buffer.
public final class AMXProductProbeRun {
    let x: UnsafePointer<Float>
    let rows: Int, k: Int
    let packed: UnsafeMutablePointer<UInt32>
    let tiles: AMXTiles

    /// x: [rows, k], which must outlive this run. `tiles`: the model (tests) or the instructions.
    public init(x: UnsafePointer<Float>, rows: Int, k: Int, tiles: AMXTiles) {
        precondition(rows > 0 && k > 0, "AMX probe: \(rows) × \(k)")
        self.x = x
        self.rows = rows
        self.k = k
        self.tiles = tiles
        packed = .allocate(capacity: minimax_amx_bf16_packed_words(rows, k))
        pack()
    }

    deinit { packed.deallocate() }

    /// Rounds and packs the activations again (the part of `AMXBFloat16MatMul.multiply` before the tiles).
    public func pack() {
        AMXBFloat16MatMul.packActivations(x, rows: rows, k: k, into: packed, parallel: true)
    }

    /// out[rows, N] = the product with bf16 `weight: [N, k]`, leaving out what `probe` says.
    public func multiply(_ probe: AMXProductProbe, weight: TensorView, into out: UnsafeMutablePointer<Float>) {
        precondition(weight.dtype == .bfloat16 && weight.shape.count == 2 && weight.shape[1] == k,
                     "AMX probe: weight \(weight.dtype) \(weight.shape) for k = \(k)")
        AMXBFloat16MatMul.multiplyPacked(packed, rows: rows, weight: weight, into: out, parallel: true, tiles: tiles, probe: probe)
    }
}
