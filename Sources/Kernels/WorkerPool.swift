import CKernels
import Foundation
import Synchronization

/// Long-lived worker threads for the kernels' parallel loops.
///
/// Decoding one token runs about a hundred short parallel loops (a few hundred microseconds
/// each); waking sleeping threads for every one of them (what `DispatchQueue.concurrentPerform`
/// does) costs tens of microseconds per loop. These workers instead spin on one atomic word for a
/// short while after each loop and only then sleep on a condition variable, so back-to-back loops
/// start within a fraction of a microsecond. Posting a loop allocates nothing: the loop object is
/// only borrowed for the duration of `run`.
///
/// Protocol: `state` packs (job generation, closed flag, workers inside the job). The caller
/// publishes a job by storing a new generation; a worker joins by incrementing the count while the
/// generation matches and the job is open, takes chunks from `nextChunk` until none are left, and
/// leaves by decrementing. The caller, after running chunks itself, closes the job once no worker
/// is inside, so a late worker can never touch a finished job's loop.
final class WorkerPool: @unchecked Sendable {
    /// Threads besides the caller.
    let workerCount: Int

    private static let activeMask = 0xFFFF
    private static let closedFlag = 0x1_0000
    private static let generationShift = 17
    /// Spins (of ~20-60 ns each) before a waiting worker goes to sleep: on the order of 0.2–1 ms.
    private static let spinsBeforeSleep = 20_000

    private let state = Atomic<Int>(WorkerPool.closedFlag)
    private let nextChunk = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    // The current job; written only by the caller while no worker can be inside it.
    private var loop: ParallelLoop?
    private var iterationCount = 0
    private var chunkCount = 0

    init(workerCount: Int) {
        self.workerCount = workerCount
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        // The pool is returned only once every worker runs: a thread's start-up (Foundation names
        // it, allocating) then never lands inside a caller's loop, e.g. an allocation-free decode.
        let started = DispatchSemaphore(value: 0)
        for index in 0..<workerCount {
            let thread = Thread { [unowned(unsafe) self] in
                started.signal()
                self.workerLoop()
            }
            thread.name = "minimax-worker-\(index + 1)"
            thread.stackSize = 1 << 20
            thread.start()
        }
        for _ in 0..<workerCount { started.wait() }
    }

    /// Runs `loop` over `0..<count` split into `chunks` contiguous ranges, on the workers and the
    /// calling thread, and returns when all are done. Returns false (running nothing) when the pool
    /// is already running a loop — a nested or concurrent call — so the caller can run it itself.
    func run(_ loop: ParallelLoop, count: Int, chunks: Int) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        self.loop = loop
        iterationCount = count
        chunkCount = chunks
        nextChunk.store(0, ordering: .relaxed)
        let generation = (state.load(ordering: .relaxed) >> Self.generationShift) &+ 1
        state.store(generation << Self.generationShift, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 { broadcast() }
        runChunks()
        close()
        self.loop = nil
        busy.store(false, ordering: .releasing)
        return true
    }

    /// Chunk `chunk` of `chunks` near-equal contiguous ranges covering `0..<count`.
    @inline(__always)
    static func range(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
        (count &* chunk / chunks)..<(count &* (chunk &+ 1) / chunks)
    }

    /// Asks the workers to exit (a pool for another thread count replaces this one). Waits for a
    /// loop in progress to finish and keeps the pool busy for good, so no loop runs on it again.
    /// (Changing `Parallel.threadCount` from inside a parallel loop would wait forever.)
    func stop() {
        while !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged { sched_yield() }
        stopping.store(true, ordering: .sequentiallyConsistent)
        let generation = (state.load(ordering: .relaxed) >> Self.generationShift) &+ 1
        state.store((generation << Self.generationShift) | Self.closedFlag, ordering: .sequentiallyConsistent)
        broadcast()
    }

    private func runChunks() {
        let chunks = chunkCount, count = iterationCount
        guard let loop else { return }
        while true {
            let chunk = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            if chunk >= chunks { return }
            let range = Self.range(chunk, of: chunks, count: count)
            if !range.isEmpty { loop.run(range) }
        }
    }

    /// Waits until no worker is inside the job, then marks it closed.
    private func close() {
        var spins = 0
        while true {
            let current = state.load(ordering: .acquiring)
            if current & Self.activeMask == 0 {
                if state.compareExchange(
                    expected: current, desired: current | Self.closedFlag, ordering: .acquiringAndReleasing
                ).exchanged { return }
            } else {
                spins += 1
                if spins > 1000 { sched_yield() } else { minimax_spin_pause() }
            }
        }
    }

    private func broadcast() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    private func workerLoop() {
        var seen = state.load(ordering: .acquiring) >> Self.generationShift
        while !stopping.load(ordering: .relaxed) {
            let current = waitForNewGeneration(after: seen)
            seen = current >> Self.generationShift
            guard join(current) else { continue }
            runChunks()
            state.subtract(1, ordering: .releasing)
        }
    }

    /// Spins, then sleeps, until the generation differs from `seen`; returns the new state.
    private func waitForNewGeneration(after seen: Int) -> Int {
        var spins = 0
        while true {
            let current = state.load(ordering: .acquiring)
            if current >> Self.generationShift != seen { return current }
            if spins < Self.spinsBeforeSleep {
                spins += 1
                minimax_spin_pause()
                continue
            }
            pthread_mutex_lock(mutex)
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while state.load(ordering: .sequentiallyConsistent) >> Self.generationShift == seen {
                pthread_cond_wait(wake, mutex)
            }
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
            pthread_mutex_unlock(mutex)
            spins = 0
        }
    }

    /// Enters the job published as `observed` if it is still open.
    private func join(_ observed: Int) -> Bool {
        var current = observed
        while current >> Self.generationShift == observed >> Self.generationShift, current & Self.closedFlag == 0 {
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }
}
