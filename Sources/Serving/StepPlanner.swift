/// Decides what the next step runs, from the running sequences' progress alone (no model, so it
/// is tested on its own):
/// - every sequence that is decoding (one token not yet in its cache) gets its row;
/// - sequences still prefilling get their next chunk — prompt positions `k·chunk ..< (k+1)·chunk`
///   from the sequence's start, never split differently, so its bits do not depend on its company
///   — oldest first, while the step's prefill tokens stay within one chunk (at least one chunk
///   runs, so no sequence starves);
/// - if the KV pages after the step would exceed the budget, the newest sequence is preempted
///   (its cache dropped; it is re-queued and its tokens prefilled again later), until it fits.
enum StepPlanner {
    struct Sequence: Equatable {
        /// Tokens already in the cache.
        var processed: Int
        /// Tokens the sequence has (prompt + generated).
        var total: Int
        /// Order of admission to the running set (larger = newer).
        var admitted: Int
    }

    struct Entry: Equatable {
        /// Index into the running sequences.
        var sequence: Int
        /// Tokens `start ..< start + count` of the sequence run this step.
        var start: Int
        var count: Int
        /// Whether this entry reaches the sequence's last token (its logits are sampled).
        var sampling: Bool
    }

    struct Plan: Equatable {
        var entries: [Entry] = []
        /// Indices of running sequences to preempt before the step, newest first.
        var preempted: [Int] = []
    }

    static func plan(_ running: [Sequence], budget: KeyValuePageBudget, prefillChunk: Int) -> Plan {
        var plan = Plan()
        var active = Set(running.indices)
        while true {
            plan.entries = entries(running, active: active, prefillChunk: prefillChunk)
            var pages = 0
            for i in active {
                let scheduled = plan.entries.first { $0.sequence == i }?.count ?? 0
                pages += budget.pages(forTokens: running[i].processed + scheduled)
            }
            guard pages > budget.totalPages, active.count > 1,
                  let newest = active.max(by: { running[$0].admitted < running[$1].admitted })
            else { return plan }
            active.remove(newest)
            plan.preempted.append(newest)
        }
    }

    private static func entries(_ running: [Sequence], active: Set<Int>, prefillChunk: Int) -> [Entry] {
        var entries: [Entry] = []
        var prefilling: [Int] = []
        for i in active.sorted() {
            let pending = running[i].total - running[i].processed
            if pending == 1 {
                entries.append(Entry(sequence: i, start: running[i].processed, count: 1, sampling: true))
            } else if pending > 1 {
                prefilling.append(i)
            }
        }
        var prefillTokens = 0
        for i in prefilling.sorted(by: { running[$0].admitted < running[$1].admitted }) {
            let s = running[i]
            let count = min(prefillChunk - s.processed % prefillChunk, s.total - s.processed)
            if prefillTokens > 0 && prefillTokens + count > prefillChunk { break }
            entries.append(Entry(sequence: i, start: s.processed, count: count, sampling: s.processed + count == s.total))
            prefillTokens += count
        }
        return entries
    }
}
