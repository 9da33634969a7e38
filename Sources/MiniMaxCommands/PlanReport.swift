import Foundation
import MiniMax
import Planning

/// The text and JSON of `minimax plan`.
struct PlanReport {
    struct Settings {
        var format: WeightFormat
        var cacheType: CacheType
        var context: Int
        var batch: Int
        var generate: Int
    }

    let configuration: Configuration
    let sheet: ModelCostSheet
    let settings: Settings
    let hardware: [Hardware]
    let comparison: FlopComparison?

    var plan: InferencePlan {
        InferencePlan(sheet: sheet, format: settings.format, cacheType: settings.cacheType, context: settings.context, batch: settings.batch)
    }

    /// Contexts at which per-token FLOPs are listed.
    var sampleContexts: [Int] { [1 << 10, 1 << 15, 1 << 17, 1 << 20] }
    /// The M1 report's comparison points: 64K and 100K generated tokens.
    static let comparisonLengths = [65_536, 100_000]

    func text() -> String {
        let s = settings, p = plan, c = configuration
        let g = Quantities.grouped, b = Quantities.exactBytes
        var out: [String] = []
        let lightning = c.layerKinds.filter { $0 == .lightning }.count
        out.append("model              \(sheet.name): \(c.layerCount) layers (\(lightning) lightning, \(c.layerCount - lightning) softmax), hidden \(c.hiddenSize), \(c.headCount) heads × \(c.headDim), \(c.keyValueHeadCount) KV heads, \(c.expertCount) experts top-\(c.expertsPerToken) (FFN \(c.intermediateSize)), vocab \(c.vocabularySize)")
        let embedding = sheet.totalParameters - sheet.parametersByPart.filter { $0.part != "embedding" && $0.part != "LM head" }.reduce(0) { $0 + $1.total }
        out.append("parameters         \(Quantities.count(Double(sheet.totalParameters))) total (\(g(sheet.totalParameters))), \(Quantities.count(Double(sheet.activeParameters))) active per token (\(g(sheet.activeParameters)); embedding and LM head, \(Quantities.count(Double(embedding))), not counted)")
        out.append("  part                         total            active per token")
        for part in sheet.parametersByPart {
            out.append("  " + pad(part.part, 20) + lpad(g(part.total), 17) + " " + lpad("(\(Quantities.count(Double(part.total))))", 9) + lpad(g(part.active), 17) + " " + lpad("(\(Quantities.count(Double(part.active))))", 9))
        }
        out.append("")
        out.append("weights by format  (integer formats: symmetric, one bf16 scale per \(WeightFormat.groupSize) inputs of a row)")
        for format in WeightFormat.allCases {
            let bytes = InferencePlan(sheet: sheet, format: format, cacheType: s.cacheType, context: 0, batch: 1).weightBytes
            out.append("  " + pad(format.rawValue, 6) + lpad(b(bytes), 34) + "  " + format.summary)
        }
        out.append("")
        out.append("per-sequence memory")
        out.append("  lightning state  \(sheet.constantStateFormula) = \(b(sheet.constantStateBytes)), constant in context")
        let perToken = CacheType.allCases.map { "\($0.rawValue) \(g(sheet.cacheElementsPerToken * $0.bytes)) B" }.joined(separator: ", ")
        out.append("  KV per token     \(sheet.cacheFormula) × dtype bytes: \(perToken)")
        for t in [1 << 10, 1 << 17, 1 << 20, s.context].uniqued().sorted() {
            let kv = p.cacheBytesPerToken * t
            out.append("  KV at \(pad(Quantities.tokens(t), 6))     \(b(kv)) (\(s.cacheType.rawValue)); with the state \(b(p.sequenceBytes(tokens: t)))")
        }
        out.append("  batch \(s.batch) × context \(Quantities.tokens(s.context)): weights (\(s.format.rawValue)) \(b(p.weightBytes)) + caches \(b(s.batch * p.sequenceBytes(tokens: s.context))) = \(b(p.totalBytes))")
        out.append("")
        out.append("FLOPs per generated token (2 per multiply-add; norms, activations, RoPE and softmax exponentials not counted)")
        out.append("  weight products  2 × \(g(sheet.weightMultiplyAdds)) = \(Quantities.flops(2 * Double(sheet.weightMultiplyAdds))) (active matrices incl. the LM head)")
        out.append("  lightning        2 × \(g(sheet.fixedMixerMultiplyAdds)) = \(Quantities.flops(2 * Double(sheet.fixedMixerMultiplyAdds))), constant (kᵀv and q·S per head)")
        out.append("  softmax attn     2 × \(g(sheet.attentionMultiplyAddsPerPosition)) × (context + 1) (q·k and p·v per attended position)")
        let perContext = sampleContexts.map { "\(Quantities.tokens($0)): \(Quantities.flops(sheet.flopsPerToken(afterContext: $0)))" }.joined(separator: ", ")
        out.append("  after context    \(perContext)")
        out.append("  generating \(Quantities.tokens(s.generate)) tokens after \(Quantities.tokens(s.context)): \(Quantities.flops(sheet.flops(tokens: s.generate, startingAt: s.context))) (\(String(format: "%.4g", sheet.flops(tokens: s.generate, startingAt: s.context))) FLOP); prefilling the \(Quantities.tokens(s.context)) prompt: \(Quantities.flops(sheet.flops(tokens: s.context, startingAt: 0)))")
        out.append("")
        let weightStep = p.weightBytesPerDecodeStep
        let cacheStep = Double(s.batch * p.cacheBytesPerToken * s.context), stateStep = Double(s.batch * 2 * sheet.constantStateBytes)
        out.append("bytes read per decode step (batch \(s.batch), context \(Quantities.tokens(s.context)), \(s.format.rawValue) weights, \(s.cacheType.rawValue) KV)")
        out.append("  weights \(b(Int(weightStep.rounded()))) + KV \(b(Int(cacheStep))) + state read and written \(b(Int(stateStep))) = \(b(Int(p.bytesPerDecodeStep(context: s.context).rounded())))")
        if s.batch > 1 { out.append("  (experts: the expected distinct experts of \(s.batch) tokens under uniform routing)") }
        out.append("")
        out.append("hardware           fit of every format at batch \(s.batch) × \(Quantities.tokens(s.context)) (\(s.cacheType.rawValue) KV; activations and workspace not counted)")
        for h in hardware {
            let fits = WeightFormat.allCases.map { f -> String in
                let need = InferencePlan(sheet: sheet, format: f, cacheType: s.cacheType, context: s.context, batch: s.batch).totalBytes
                return "\(f.rawValue) \(Double(need) <= h.memoryBytes ? "fits" : "no") (\(Int((Double(need) / h.memoryBytes * 100).rounded()))%)"
            }.joined(separator: ", ")
            out.append("  \(h.name): \(Quantities.bytes(h.memoryBytes)), \(Quantities.bytes(h.bandwidthBytesPerSecond))/s, \(Quantities.flops(h.peakFLOPPerSecond))/s")
            out.append("    fits           \(fits)")
            let r = p.rates(on: h)
            out.append(String(format: "    %@ decode   ≤ %.4g tok/s bandwidth-bound, ≤ %.4g tok/s compute-bound (batch total)", s.format.rawValue, r.decodeBandwidthBound, r.decodeComputeBound))
            out.append(String(format: "    %@ prefill  ≤ %.4g tok/s compute-bound, ≤ %.4g tok/s reading the weights once (a %@-token prompt)", s.format.rawValue, r.prefillComputeBound, r.prefillBandwidthBound, Quantities.tokens(s.context)))
            if !h.note.isEmpty { out.append("    (\(h.note))") }
        }
        if let comparison {
            out.append("")
            out += comparisonText(comparison)
        }
        return out.joined(separator: "\n") + "\n"
    }

    func comparisonText(_ comparison: FlopComparison) -> [String] {
        let r = comparison.reference, g = Quantities.grouped
        var out = ["compared with \(r.name): \(Quantities.count(Double(r.totalParameters))) total, \(Quantities.count(Double(r.activeParameters))) active per token without embedding and LM head"]
        out.append("  KV per token     \(r.cacheFormula) = \(g(r.cacheElementsPerToken)) elements (bf16 \(g(r.cacheElementsPerToken * 2)) B) vs \(g(sheet.cacheElementsPerToken)) (bf16 \(g(sheet.cacheElementsPerToken * 2)) B)")
        out.append("  FLOPs per token  weights \(Quantities.flops(2 * Double(r.weightMultiplyAdds))) vs \(Quantities.flops(2 * Double(sheet.weightMultiplyAdds)) ); attention per position 2 × \(g(r.attentionMultiplyAddsPerPosition)) vs 2 × \(g(sheet.attentionMultiplyAddsPerPosition))")
        for n in Self.comparisonLengths {
            let point = comparison.point(generated: n)
            out.append(String(format: "  generate %@: %@ / %@ = %.3g%% of the FLOPs (cumulative); the last token alone %.3g%%",
                              Quantities.tokens(n), Quantities.flops(point.cumulative_flops), Quantities.flops(point.reference_cumulative_flops),
                              point.cumulativeRatio * 100, point.lastTokenRatio * 100))
        }
        out.append("  (the M1 report: < 50% at 64K generated tokens, ≈ 25% at 100K; see docs/plan.md for what each counts)")
        return out
    }

    func json() throws -> String {
        let s = settings, p = plan
        var object: [String: Any] = [
            "model": sheet.name,
            "parameters": ["total": sheet.totalParameters, "active_per_token": sheet.activeParameters,
                           "by_part": Dictionary(uniqueKeysWithValues: sheet.parametersByPart.map { ($0.part, ["total": $0.total, "active": $0.active]) })],
            "weight_bytes": Dictionary(uniqueKeysWithValues: WeightFormat.allCases.map {
                ($0.rawValue, InferencePlan(sheet: sheet, format: $0, cacheType: s.cacheType, context: 0, batch: 1).weightBytes)
            }),
            "weight_format": s.format.rawValue, "kv_dtype": s.cacheType.rawValue, "group_size": WeightFormat.groupSize,
            "context": s.context, "batch": s.batch, "generate": s.generate,
            "lightning_state_bytes_per_sequence": sheet.constantStateBytes,
            "kv_elements_per_token": sheet.cacheElementsPerToken, "kv_bytes_per_token": p.cacheBytesPerToken,
            "sequence_bytes": p.sequenceBytes(tokens: s.context), "total_bytes": p.totalBytes,
            "flops_per_token": ["weights": 2 * sheet.weightMultiplyAdds, "lightning": 2 * sheet.fixedMixerMultiplyAdds,
                                "attention_per_position": 2 * sheet.attentionMultiplyAddsPerPosition,
                                "at_context": sheet.flopsPerToken(afterContext: s.context)],
            "generate_flops": sheet.flops(tokens: s.generate, startingAt: s.context),
            "prefill_flops": sheet.flops(tokens: s.context, startingAt: 0),
            "bytes_per_decode_step": p.bytesPerDecodeStep(context: s.context),
            "hardware": hardware.map { h -> [String: Any] in
                let r = p.rates(on: h)
                return ["name": h.name, "memory_bytes": h.memoryBytes, "fits": Double(p.totalBytes) <= h.memoryBytes,
                        "decode_bandwidth_bound_tokens_per_second": r.decodeBandwidthBound,
                        "decode_compute_bound_tokens_per_second": r.decodeComputeBound,
                        "prefill_compute_bound_tokens_per_second": r.prefillComputeBound,
                        "prefill_bandwidth_bound_tokens_per_second": r.prefillBandwidthBound]
            },
        ]
        if let comparison {
            object["comparison"] = [
                "reference": comparison.reference.name,
                "points": Self.comparisonLengths.map { n -> [String: Any] in
                    let point = comparison.point(generated: n)
                    return ["generated_tokens": n, "cumulative_ratio": point.cumulativeRatio, "last_token_ratio": point.lastTokenRatio,
                            "cumulative_flops": point.cumulative_flops, "reference_cumulative_flops": point.reference_cumulative_flops]
                },
            ]
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
