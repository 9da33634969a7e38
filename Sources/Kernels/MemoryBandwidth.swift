import Foundation

/// The machine's streaming read bandwidth, measured the way decode reads weights: every thread
/// sums its own contiguous share of a buffer much larger than the caches.
public enum MemoryBandwidth {
    /// Bytes per second, best of `repetitions` passes over a `bytes`-sized buffer.
    public static func measureStreamingRead(bytes: Int = 1 << 30, repetitions: Int = 5) -> Double {
        let count = bytes / 4
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { buffer.deallocate() }
        // Touch every page first so the measurement sees no page faults.
        buffer.initialize(repeating: 1, count: count)
        let address = UnsafeRawPointer(buffer)
        var best = 0.0
        let threads = Parallel.threadCount
        for _ in 0..<repetitions {
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: threads)
            sums.initialize(repeating: 0, count: threads)
            let sumAddress = UnsafeMutableRawPointer(sums)
            let start = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                let begin = count * thread / threads, end = count * (thread + 1) / threads
                var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>(), acc2 = SIMD16<Float>(), acc3 = SIMD16<Float>()
                var i = begin
                while i + 64 <= end {
                    acc0 += address.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                    acc1 += address.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                    acc2 += address.loadUnaligned(fromByteOffset: (i + 32) * 4, as: SIMD16<Float>.self)
                    acc3 += address.loadUnaligned(fromByteOffset: (i + 48) * 4, as: SIMD16<Float>.self)
                    i += 64
                }
                sumAddress.assumingMemoryBound(to: Float.self)[thread] = (acc0 + acc1 + acc2 + acc3).sum()
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(sums[0] >= 0, "keeps the reads alive")
            sums.deallocate()
            best = max(best, Double(count * 4) / seconds)
        }
        return best
    }
}
