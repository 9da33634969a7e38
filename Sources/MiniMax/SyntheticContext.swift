extension ModelCache {
    /// Grows every softmax layer's KV cache to `tokens` entries with synthetic keys and values,
    /// without running the model, and moves the position there. For timing decode at long contexts
    /// (`minimax bench --synthetic-context`): a decode step's cost depends on how many positions it
    /// attends to, not on what they hold, and a real prefill of 128K tokens costs minutes on 2
    /// cores. Lightning states keep what the real tokens before left in them (their size is fixed).
    public mutating func extendSynthetically(to tokens: Int) {
        guard tokens > position else { return }
        let chunk = 256
        for i in layers.indices {
            layers[i].mutate(
                keyValue: { kv in
                    let width = kv.keyValueHeads * kv.headDim
                    // Small deterministic values: softmax stays well-conditioned, nothing is NaN.
                    let filler = (0..<(chunk * width)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
                    filler.withUnsafeBufferPointer { f in
                        while kv.count < tokens {
                            kv.append(keys: f.baseAddress!, values: f.baseAddress!, tokens: min(chunk, tokens - kv.count))
                        }
                    }
                },
                linear: { _ in })
        }
        position = tokens
    }
}
