import Foundation
import MiniMax

extension BenchCommand.Report {
    struct BatchedDecode: Encodable {
        let sequences: Int
        let context: Int
        let steps: Int
        let seconds: Double
        /// Generated tokens per second over all sequences.
        let tokens_per_second: Double
        let milliseconds_per_step: Double
    }
}

extension BenchCommand {
    /// `sequences` copies of `cache` decode `decodeTokens` greedy tokens each, one batched forward
    /// pass per step (`MiniMaxModel.forward(_:caches:)`): the engine's steady state under load.
    func batchedDecode(_ model: MiniMaxModel, after cache: ModelCache, context: Int, sequences: Int) throws -> Report.BatchedDecode {
        var caches = [ModelCache](repeating: cache, count: sequences)
        let vocabulary = model.configuration.vocabularySize
        var next = (0..<sequences).map { 1 + $0 % max(1, vocabulary - 1) }
        func step() throws {
            var batch = ModelBatch()
            for s in 0..<sequences { batch.add(token: next[s], sequence: s, position: caches[s].position, wantsLogits: true) }
            let logits = try model.forward(batch, caches: &caches)
            for s in 0..<sequences {
                let row = logits.row(s)
                next[s] = row.indices.max { row[$0] < row[$1] }.map { $0 - row.startIndex } ?? 0
            }
        }
        try step()  // warm-up: scratch memory at this batch size
        let seconds = try time { for _ in 0..<decodeTokens { try step() } }
        return .init(sequences: sequences, context: context, steps: decodeTokens, seconds: seconds,
                     tokens_per_second: Double(sequences * decodeTokens) / seconds,
                     milliseconds_per_step: seconds * 1000 / Double(decodeTokens))
    }
}
