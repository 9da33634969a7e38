/// A parallel loop body as an object. Worker threads receive a reference to it, so starting such a
/// loop allocates nothing — unlike a closure, which has to be made escapable (and is heap-boxed)
/// to cross threads. The decode-path kernels keep one instance per thread and reuse it
/// (`ScratchMemory.withReusable`).
public protocol ParallelLoop: AnyObject {
    /// Runs the iterations in `range` (disjoint from every other range of the same loop).
    func run(_ range: Range<Int>)
}

/// Adapts a closure to `ParallelLoop` (allocates; for loops outside the decode path).
final class ClosureLoop: ParallelLoop {
    let body: (Range<Int>) -> Void

    init(_ body: @escaping (Range<Int>) -> Void) { self.body = body }

    func run(_ range: Range<Int>) { body(range) }
}
