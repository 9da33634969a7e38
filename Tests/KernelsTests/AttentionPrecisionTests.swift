import Kernels
import Tensors
import TestSupport
import XCTest

/// Under `MatMulPrecision.bfloat16` the attention kernels' tiled products round both operands to
/// bf16: close to the fp32 twin, not equal to the exact mode where products are tiled, bit for bit
/// the exact mode where they are not (a lightning recurrent step, decode-sized softmax tiles) — on
/// this CPU's bf16 kernel and on the AMX tile model, which agree to fp32 rounding.
extension KernelTwinTests {
    func testLightningAttentionUnderBFloat16RoundsItsBlockProducts() {
        defer { AMXTiles.simulated = false }
        for (tokens, blockSize, heads, d) in [(1, 4, 2, 8), (3, 4, 4, 32), (9, 4, 4, 32), (13, 4, 2, 7), (40, 16, 2, 32), (300, 256, 2, 64)] {
            let (qkv, slopes, initial, naive, naiveState) = lightningCase(tokens: tokens, heads: heads, headDim: d)
            var exactState = transposedPerHead(initial, heads: heads, d: d)
            let exact = lightningAttention(qkv: qkv, tokens: tokens, heads: heads, headDim: d, slopes: slopes,
                                           blockSize: blockSize, state: &exactState)
            var outputs: [[Float]] = []
            for simulated in [false, true] {
                AMXTiles.simulated = simulated
                let label = "T=\(tokens) B=\(blockSize) d=\(d)\(simulated ? " (AMX tile model)" : "")"
                var state = transposedPerHead(initial, heads: heads, d: d)
                let rounded = lightningAttention(qkv: qkv, tokens: tokens, heads: heads, headDim: d, slopes: slopes,
                                                 blockSize: blockSize, state: &state, precision: .bfloat16)
                if tokens == 1 {
                    XCTAssertEqual(rounded, exact, "\(label): the recurrent step stays fp32")
                    XCTAssertEqual(state, exactState, "\(label): state")
                } else {
                    XCTAssertNotEqual(rounded, exact, "\(label): bf16 precision had no effect")
                    XCTAssertLessThan(TestSupport.relativeError(rounded, naive), 1e-2, label)
                    XCTAssertLessThan(TestSupport.relativeError(transposedPerHead(state, heads: heads, d: d), naiveState), 1e-2,
                                      "\(label): state")
                }
                outputs.append(rounded)
            }
            XCTAssertLessThan(TestSupport.relativeError(outputs[1], outputs[0]), 1e-5, "T=\(tokens): AMX tile model vs \(KernelPath.selected)")
        }
    }

    func testPagedAttentionUnderBFloat16RoundsItsTiledProducts() {
        defer { AMXTiles.simulated = false }
        for (tokens, past, heads, kvHeads, d, window, pageSize) in [
            (2, 5, 4, 1, 16, nil, 8), (1, 40, 8, 1, 32, nil, 16), (70, 3, 8, 2, 16, 9 as Int?, 16), (130, 0, 4, 2, 32, nil, 32),
            (64, 100, 4, 4, 64, nil, 64),
        ] {
            let (q, k, v, naive) = pagedCase(tokens: tokens, past: past, heads: heads, keyValueHeads: kvHeads, headDim: d, window: window)
            func attention(_ precision: MatMulPrecision) -> [Float] {
                pagedAttention(queries: q, keys: k, values: v, tokens: tokens, past: past, heads: heads, keyValueHeads: kvHeads,
                               headDim: d, window: window, pageSize: pageSize, precision: precision)
            }
            let exact = attention(.exact)
            let tiled = tokens * heads / kvHeads > 8  // a decode-sized tile has at most 8 rows
            var outputs: [[Float]] = []
            for simulated in [false, true] {
                AMXTiles.simulated = simulated
                let label = "T=\(tokens) past=\(past) d=\(d) page=\(pageSize)\(simulated ? " (AMX tile model)" : "")"
                let rounded = attention(.bfloat16)
                if tiled {
                    XCTAssertNotEqual(rounded, exact, "\(label): bf16 precision had no effect")
                    XCTAssertLessThan(TestSupport.relativeError(rounded, naive), 1e-2, label)
                } else {
                    XCTAssertEqual(rounded, exact, "\(label): a decode-sized tile stays fp32")
                }
                outputs.append(rounded)
            }
            XCTAssertLessThan(TestSupport.relativeError(outputs[1], outputs[0]), 1e-5, "T=\(tokens): AMX tile model vs \(KernelPath.selected)")
        }
    }
}

final class AttentionPrecisionTests: XCTestCase {
    func testAttentionRoundsOnlyBesideRoundedNonFP32Products() {
        XCTAssertEqual(MatMulPrecision.bfloat16.forAttention(besideWeightsOf: .bfloat16), .bfloat16)
        XCTAssertEqual(MatMulPrecision.int8.forAttention(besideWeightsOf: .int8), .bfloat16)
        XCTAssertEqual(MatMulPrecision.int8.forAttention(besideWeightsOf: .bfloat16), .bfloat16)
        XCTAssertEqual(MatMulPrecision.bfloat16.forAttention(besideWeightsOf: .float32), .exact)
        XCTAssertEqual(MatMulPrecision.exact.forAttention(besideWeightsOf: .bfloat16), .exact)
    }
}
