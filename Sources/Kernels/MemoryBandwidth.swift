import CKernels
import Foundation

/// The machine's streaming read bandwidth, measured the way decode reads weights: every thread
/// sums its own contiguous share of a buffer much larger than the caches.
public enum MemoryBandwidth {
    /// Bytes per second, best of `repetitions` passes over a `bytes`-sized buffer.
    public static func measureStreamingRead(bytes: Int = 1 << 30, repetitions: Int = 5) -> Double {
        let count = bytes / 4
        // Anonymous memory on 2 MiB pages where the OS offers them, like the loaded weights.
        guard let mapped = mmap(nil, count * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED else { return 0 }
        defer { munmap(mapped, count * 4) }
        #if os(Linux)
        madvise(mapped, count * 4, MADV_HUGEPAGE)
        #endif
        let buffer = mapped.bindMemory(to: Float.self, capacity: count)
        // Touch every page first so the measurement sees no page faults.
        buffer.initialize(repeating: 1, count: count)
        var best = 0.0
        let threads = Parallel.threadCount
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: threads)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: threads)
        for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            // Each thread streams its own contiguous share (the worker pool, as the kernels use it).
            Parallel.forEachRange(threads) { range in
                for thread in range {
                    let begin = count * thread / threads, end = count * (thread + 1) / threads
                    sums[thread] = minimax_stream_sum(buffer + begin, end - begin)
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(sums[0] >= 0, "keeps the reads alive")
            best = max(best, Double(count * 4) / seconds)
        }
        return best
    }
}
