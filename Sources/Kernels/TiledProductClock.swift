import Foundation

/// Wall time spent in the tiled rows of weight products (`MatMul`'s prefill path: AMX tiles,
/// `vdpbf16ps`, the packed fp32 kernel, int8 activations), summed while a caller on one thread
/// runs it (`minimax bench`): how much of a prefill the matrix kernels take, beside the model's
/// per-part times. Products started on other threads, or inside a timed product, are not counted
/// again.
public enum TiledProductClock {
    nonisolated(unsafe) private static var owner: pthread_t?
    nonisolated(unsafe) private static var depth = 0
    nonisolated(unsafe) public private(set) static var seconds = 0.0

    /// Starts counting products started on the calling thread, from zero.
    public static func start() {
        seconds = 0
        depth = 0
        owner = pthread_self()
    }

    /// Stops counting.
    public static func stop() { owner = nil }

    /// Runs `body`, adding its duration when `timing` and the clock counts this thread's products.
    @inline(__always)
    static func measure<R>(timing: Bool = true, _ body: () -> R) -> R {
        guard timing, let owner, depth == 0, pthread_equal(owner, pthread_self()) != 0 else { return body() }
        depth += 1
        let begin = DispatchTime.now().uptimeNanoseconds
        defer {
            seconds += Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
            depth -= 1
        }
        return body()
    }
}
