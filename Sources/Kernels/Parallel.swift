import Dispatch
import Foundation

/// Splits loops across the machine's cores. Work is divided into contiguous ranges so that each
/// output element is computed by exactly one thread in a fixed order: results do not depend on the
/// thread count.
public enum Parallel {
    /// Threads used by every kernel; defaults to the number of active cores.
    nonisolated(unsafe) public static var threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` on disjoint ranges covering `0..<count`, in parallel when the work is large
    /// enough. `grain` is the smallest range worth a thread of its own.
    public static func forEachRange(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let threads = min(threadCount, max(1, count / max(grain, 1)))
        if threads <= 1 {
            body(0..<count)
            return
        }
        // A few chunks per thread balance uneven work without much scheduling overhead.
        let chunks = min(count, threads * 4)
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks
                let end = count * (chunk + 1) / chunks
                if start < end { body(start..<end) }
            }
        }
    }
}
