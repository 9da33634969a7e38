import Foundation
import Synchronization

/// Raised by the SIGINT handler; a plain atomic, the one thing a signal handler may touch.
private let interruptRaised = Atomic<Bool>(false)

/// While it lives (until `stop()`), Ctrl-C raises `isRaised` instead of killing the process, so a
/// generation loop can end its output cleanly. A plain signal handler, installed synchronously:
/// a dispatch signal source needs SIGINT ignored, and on Linux an ignored process-directed signal
/// can be dropped before the source sees it.
final class InterruptWatch: Sendable {
    private let previous: (@convention(c) (Int32) -> Void)?

    init() {
        interruptRaised.store(false, ordering: .relaxed)
        previous = signal(SIGINT) { _ in interruptRaised.store(true, ordering: .relaxed) }
    }

    /// Restores the handler that was there before (the default: Ctrl-C ends the process).
    func stop() { signal(SIGINT, previous) }

    func clear() { interruptRaised.store(false, ordering: .relaxed) }
    var isRaised: Bool { interruptRaised.load(ordering: .relaxed) }

    /// The shell's convention for a process ended by SIGINT (128 + 2).
    static let exitCode: Int32 = 130
}
