import Dispatch
import Foundation
import Synchronization

/// Splits loops across the machine's cores. Work is divided into contiguous ranges so that each
/// output element is computed by exactly one thread in a fixed order: results do not depend on the
/// thread count.
public enum Parallel {
    /// Threads used by every kernel; defaults to the number of active cores.
    public static var threadCount: Int {
        get { configuredThreadCount.load(ordering: .relaxed) }
        set { configuredThreadCount.store(max(1, newValue), ordering: .relaxed) }
    }

    private static let configuredThreadCount = Atomic<Int>(max(1, ProcessInfo.processInfo.activeProcessorCount))
    private static let poolLock = Mutex<WorkerPool?>(nil)

    /// Calls `body` on disjoint ranges covering `0..<count`, in parallel when the work is large
    /// enough. `grain` is the smallest range worth a thread of its own.
    public static func forEachRange(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let threads = threads(for: count, grain: grain)
        if threads <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in run(ClosureLoop(body), count: count, threads: threads) }
    }

    /// Values per task below which a memory-bound elementwise pass is not worth a thread.
    static let elementwiseGrain = 16384

    /// `forEachRange` over the rows of a `[rows, width]` elementwise pass (norms, activations,
    /// residuals), at least `elementwiseGrain` values per task: a decode step's few rows stay on
    /// the calling thread (and allocate nothing); a prefill's rows are split. Each value is computed
    /// the same way whichever thread takes its row.
    public static func forEachRowRange(_ rows: Int, width: Int, _ body: (Range<Int>) -> Void) {
        forEachRange(rows, grain: max(1, elementwiseGrain / max(1, width)), body)
    }

    /// The same for a loop object: no allocation, for the kernels of a decode step.
    public static func forEachRange(_ count: Int, grain: Int = 1, loop: ParallelLoop) {
        guard count > 0 else { return }
        let threads = threads(for: count, grain: grain)
        if threads <= 1 {
            loop.run(0..<count)
            return
        }
        run(loop, count: count, threads: threads)
    }

    @inline(__always)
    static func threads(for count: Int, grain: Int) -> Int {
        min(threadCount, max(1, count / max(grain, 1)))
    }

    private static func run(_ loop: ParallelLoop, count: Int, threads: Int) {
        // A few chunks per thread balance uneven work without much scheduling overhead.
        let chunks = min(count, threads * 4)
        // The pool is busy when this is a nested call from inside a parallel loop (or another
        // thread is running one): then this thread does the whole loop itself.
        if let pool = pool(), pool.run(loop, count: count, chunks: chunks) { return }
        for chunk in 0..<chunks { loop.run(WorkerPool.range(chunk, of: chunks, count: count)) }
    }

    /// The pool for the current thread count, started on first use; nil when single-threaded.
    static func pool() -> WorkerPool? {
        let workers = threadCount - 1
        guard workers > 0 else { return nil }
        return poolLock.withLock { pool in
            if let existing = pool, existing.workerCount == workers { return existing }
            // Retired pools stay allocated (their threads exit on their own once told to stop).
            if let existing = pool { existing.stop(); retired.withLock { $0.append(existing) } }
            let fresh = WorkerPool(workerCount: workers)
            pool = fresh
            return fresh
        }
    }

    private static let retired = Mutex<[WorkerPool]>([])
}
