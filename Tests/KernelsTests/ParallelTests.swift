import Foundation
import Tensors
import TestSupport
import XCTest

@testable import Kernels

final class ParallelTests: XCTestCase {
    override func tearDown() {
        Parallel.threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Every index is visited exactly once, for many back-to-back loops of awkward sizes.
    func testEveryIndexRunsExactlyOnce() {
        Parallel.threadCount = 3
        for count in [1, 2, 3, 7, 12, 13, 100, 1000] {
            for _ in 0..<50 {
                let visits = UnsafeMutablePointer<Int>.allocate(capacity: count)
                visits.initialize(repeating: 0, count: count)
                defer { visits.deallocate() }
                let address = UnsafeMutableRawPointer(visits)
                Parallel.forEachRange(count) { range in
                    for i in range { address.assumingMemoryBound(to: Int.self)[i] += 1 }
                }
                XCTAssertEqual(Array(UnsafeBufferPointer(start: visits, count: count)), [Int](repeating: 1, count: count))
            }
        }
    }

    /// A loop inside a loop runs on the thread that reached it instead of waiting for the pool.
    func testNestedLoopsComplete() {
        Parallel.threadCount = 2
        let total = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        total.initialize(repeating: 0, count: 64)
        defer { total.deallocate() }
        let address = UnsafeMutableRawPointer(total)
        Parallel.forEachRange(8) { outer in
            for o in outer {
                Parallel.forEachRange(8) { inner in
                    for i in inner { address.assumingMemoryBound(to: Int.self)[o * 8 + i] += 1 }
                }
            }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: total, count: 64)), [Int](repeating: 1, count: 64))
    }

    /// Loops started from several threads at once all finish with correct results.
    func testConcurrentCallersComplete() {
        Parallel.threadCount = 2
        let sums = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        sums.initialize(repeating: 0, count: 4)
        defer { sums.deallocate() }
        nonisolated(unsafe) let address = UnsafeMutableRawPointer(sums)
        DispatchQueue.concurrentPerform(iterations: 4) { caller in
            for _ in 0..<200 {
                let lock = NSLock()
                var local = 0
                Parallel.forEachRange(100) { range in
                    lock.lock(); local += range.count; lock.unlock()
                }
                address.assumingMemoryBound(to: Int.self)[caller] += local
            }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: sums, count: 4)), [20_000, 20_000, 20_000, 20_000])
    }

    /// Changing the thread count replaces the pool (one worker fewer than threads, split into
    /// 4 ranges per thread), and a kernel whose every output sums over many inputs gives the same
    /// bits at every thread count: many-token products (packed tiles) and one-token products.
    func testThreadCountChangesKeepResults() {
        let k = 300, n = 96
        let weight = TensorView.owned(TestSupport.randomValues(n * k, seed: 11), shape: [n, k], dtype: .bfloat16)
        let many = Matrix(rows: 64, cols: k, data: TestSupport.randomValues(64 * k, seed: 12))
        let one = Matrix(rows: 1, cols: k, data: TestSupport.randomValues(k, seed: 13))
        var results: [[Float]] = []
        for threads in [1, 2, 4, 3] {
            Parallel.threadCount = threads
            XCTAssertEqual(Parallel.pool()?.workerCount, threads == 1 ? nil : threads - 1)
            let lock = NSLock()
            var ranges: [Range<Int>] = []
            Parallel.forEachRange(4096, grain: 16) { range in lock.lock(); ranges.append(range); lock.unlock() }
            XCTAssertEqual(ranges.sorted { $0.lowerBound < $1.lowerBound },
                           threads == 1 ? [0..<4096] : (0..<(threads * 4)).map { WorkerPool.range($0, of: threads * 4, count: 4096) })
            results.append(MatMul.multiply(many, weight).data + MatMul.multiply(one, weight).data)
        }
        for (index, result) in results.enumerated().dropFirst() {
            XCTAssertEqual(result, results[0], "thread count change \(index) changed the products")
        }
    }
}
