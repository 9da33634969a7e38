import Foundation
import MiniMax

/// Memory, traffic and rates of serving a model in one weight format, for `batch` sequences of
/// `context` tokens each. Everything is derived from a `ModelCostSheet`.
public struct InferencePlan: Sendable {
    public let sheet: ModelCostSheet
    public let format: WeightFormat
    public let cacheType: CacheType
    public let context: Int
    public let batch: Int

    public init(sheet: ModelCostSheet, format: WeightFormat, cacheType: CacheType, context: Int, batch: Int) {
        self.sheet = sheet
        self.format = format
        self.cacheType = cacheType
        self.context = context
        self.batch = batch
    }

    /// Every weight in this format (what the machine must hold).
    public var weightBytes: Int { sheet.weights.reduce(0) { $0 + format.bytes(of: $1) } }

    public var cacheBytesPerToken: Int { sheet.cacheElementsPerToken * cacheType.bytes }

    /// One sequence's cache after `tokens` tokens: constant state plus the growing KV cache.
    public func sequenceBytes(tokens: Int) -> Int { sheet.constantStateBytes + cacheBytesPerToken * tokens }

    /// Weights plus `batch` sequences of `context` tokens. Activations and workspace are not counted.
    public var totalBytes: Int { weightBytes + batch * sequenceBytes(tokens: context) }

    /// Expected distinct experts of `experts` when each of `tokens` tokens picks `k` of them at
    /// random (uniform routing): E·(1 − (1 − k/E)^B).
    public static func expectedDistinctExperts(experts: Int, perToken k: Int, tokens: Int) -> Double {
        Double(experts) * (1 - pow(1 - Double(k) / Double(experts), Double(tokens)))
    }

    /// Bytes of weights one decode step of `batch` tokens reads: every non-expert matrix once, one
    /// embedding row per sequence, and the experts the batch's tokens choose (expected, uniform routing).
    public var weightBytesPerDecodeStep: Double {
        var total = 0.0
        var expertBytes: [Int: Int] = [:], expertCounts: [Int: Set<Int>] = [:]
        for w in sheet.weights {
            let bytes = format.bytes(of: w)
            if let e = w.routedExpert, let layer = w.layer {
                expertBytes[layer, default: 0] += bytes
                expertCounts[layer, default: []].insert(e)
            } else if w.role == .embedding {
                total += Double(bytes) * Double(min(batch, w.shape[0])) / Double(w.shape[0])
            } else {
                total += Double(bytes)
            }
        }
        for (layer, bytes) in expertBytes {
            let experts = expertCounts[layer]!.count
            let chosen = Self.expectedDistinctExperts(experts: experts, perToken: sheet.expertsPerToken, tokens: batch)
            total += Double(bytes) / Double(experts) * chosen
        }
        return total
    }

    /// Bytes one decode step reads at `context`: weights, each sequence's KV cache, and each
    /// sequence's constant state read and written back.
    public func bytesPerDecodeStep(context: Int) -> Double {
        weightBytesPerDecodeStep + Double(batch) * Double(cacheBytesPerToken * context + 2 * sheet.constantStateBytes)
    }

    public struct Rates: Sendable {
        /// Tokens per second over the whole batch, limited by memory bandwidth alone.
        public var decodeBandwidthBound: Double
        /// Tokens per second limited by peak FLOP/s alone.
        public var decodeComputeBound: Double
        public var prefillBandwidthBound: Double
        public var prefillComputeBound: Double
        public var decode: Double { min(decodeBandwidthBound, decodeComputeBound) }
        public var prefill: Double { min(prefillBandwidthBound, prefillComputeBound) }
    }

    /// Roofline rates on `hardware`: decoding one token per sequence after `context` tokens, and
    /// prefilling a `context`-token prompt (all weights read once; FLOPs counted token by token).
    public func rates(on hardware: Hardware) -> Rates {
        let prompt = max(context, 1)
        return Rates(
            decodeBandwidthBound: Double(batch) / memorySeconds(context: context, on: hardware),
            decodeComputeBound: hardware.peakFLOPPerSecond / sheet.flopsPerToken(afterContext: context),
            prefillBandwidthBound: Double(prompt) * hardware.bandwidthBytesPerSecond / Double(weightBytes),
            prefillComputeBound: Double(prompt) * hardware.peakFLOPPerSecond / sheet.flops(tokens: prompt, startingAt: 0))
    }

    /// Seconds of one decode step's memory traffic: weights and states at the memory bandwidth,
    /// the KV cache at the rate decode attention reads it.
    public func memorySeconds(context: Int, on hardware: Hardware) -> Double {
        let kvBytes = Double(batch * cacheBytesPerToken * context)
        return (bytesPerDecodeStep(context: context) - kvBytes) / hardware.bandwidthBytesPerSecond
            + kvBytes / (hardware.attentionBytesPerSecond ?? hardware.bandwidthBytesPerSecond)
    }

    /// Predicted seconds of one decode step after `context` tokens when memory traffic and
    /// arithmetic do not overlap (a CPU running one token at a time): memory time + FLOPs / peak.
    public func serialDecodeSeconds(context: Int, on hardware: Hardware) -> Double {
        memorySeconds(context: context, on: hardware)
            + Double(batch) * sheet.flopsPerToken(afterContext: context) / hardware.peakFLOPPerSecond
    }
}
