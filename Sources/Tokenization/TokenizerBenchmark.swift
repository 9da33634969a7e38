import Foundation

/// Encode throughput, for `minimax tokenize --bench` and the comparison script.
public enum TokenizerBenchmark {
    /// Encodes `text` `repetitions` times (after one warm-up run) and reports the best run's
    /// UTF-8 bytes per second with the token count.
    public static func measureEncode(tokenizer: Tokenizer, text: String, repetitions: Int)
        throws -> (bytesPerSecond: Double, tokenCount: Int) {
        var tokenCount = try tokenizer.encode(text).count
        var best = Double.infinity
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            tokenCount = try tokenizer.encode(text).count
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = min(best, seconds)
        }
        return (Double(text.utf8.count) / max(best, 1e-9), tokenCount)
    }
}
