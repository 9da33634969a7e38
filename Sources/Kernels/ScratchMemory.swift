import Foundation

/// Temporary buffers for kernels and layers, taken from an arena owned by the calling thread.
///
/// Scopes nest like a stack: `withFloats` hands out the next 64-byte-aligned slice and gives it
/// back when the body returns. The arena grows when a scope does not fit (a new block; slices in
/// use are never moved) and, once the outermost scope ends, merges its blocks into one. So after
/// the first forward pass at a given size, later passes — every decoded token — allocate nothing.
public enum ScratchMemory {
    /// Runs `body` with `count` uninitialised floats that live until it returns.
    @inline(__always)
    public static func withFloats<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        try withBuffer(of: Float.self, count: count, body)
    }

    /// Runs `body` with `count` uninitialised values of a trivial type that live until it returns.
    public static func withBuffer<T, R>(
        of type: T.Type, count: Int, _ body: (UnsafeMutablePointer<T>) throws -> R
    ) rethrows -> R {
        let arena = ScratchArena.current
        let mark = arena.mark
        defer { arena.release(to: mark) }
        let raw = arena.take(bytes: max(1, count) &* MemoryLayout<T>.stride)
        return try body(raw.bindMemory(to: T.self, capacity: max(1, count)))
    }

    /// Runs `body` with this thread's instance of `type` (made on first use), so a loop object is
    /// allocated once per thread rather than per call. A nested use of the same type gets a fresh
    /// instance.
    public static func withReusable<T: AnyObject, R>(
        _ type: T.Type, make: () -> T, _ body: (T) throws -> R
    ) rethrows -> R {
        let arena = ScratchArena.current
        let key = ObjectIdentifier(type)
        let object = (arena.reusable.removeValue(forKey: key) as? T) ?? make()
        defer { arena.reusable[key] = object }
        return try body(object)
    }

    /// Bytes the calling thread's arena holds (for tests and diagnostics).
    public static var reservedBytes: Int { ScratchArena.current.capacity }
}

/// One thread's arena: a list of blocks, the one being filled and the bytes used in it.
final class ScratchArena {
    struct Mark {
        let block: Int
        let offset: Int
        let depth: Int
    }

    private static let alignment = 64
    private static let minimumBlockBytes = 1 << 20

    private var blocks: [(base: UnsafeMutableRawPointer, bytes: Int)] = []
    /// Objects kept for reuse by `ScratchMemory.withReusable`, one per type.
    var reusable: [ObjectIdentifier: AnyObject] = [:]
    private var block = 0
    private var offset = 0
    private var depth = 0

    var mark: Mark { Mark(block: block, offset: offset, depth: depth) }
    var capacity: Int { blocks.reduce(0) { $0 + $1.bytes } }

    func take(bytes requested: Int) -> UnsafeMutableRawPointer {
        let bytes = (requested + Self.alignment - 1) & ~(Self.alignment - 1)
        depth += 1
        while block < blocks.count {
            if offset + bytes <= blocks[block].bytes {
                defer { offset += bytes }
                return blocks[block].base + offset
            }
            block += 1
            offset = 0
        }
        let size = max(bytes, Self.minimumBlockBytes, capacity)
        blocks.append((UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Self.alignment), size))
        block = blocks.count - 1
        offset = bytes
        return blocks[block].base
    }

    func release(to mark: Mark) {
        block = mark.block
        offset = mark.offset
        depth = mark.depth
        if depth == 0 && blocks.count > 1 { consolidate() }
    }

    /// With nothing in use, replaces all blocks by one as large as all of them together.
    private func consolidate() {
        let total = capacity
        for b in blocks { b.base.deallocate() }
        blocks = [(UnsafeMutableRawPointer.allocate(byteCount: total, alignment: Self.alignment), total)]
        block = 0
        offset = 0
    }

    deinit {
        for b in blocks { b.base.deallocate() }
    }

    /// The calling thread's arena, created on first use and freed when the thread exits.
    static var current: ScratchArena {
        if let existing = pthread_getspecific(key) {
            return Unmanaged<ScratchArena>.fromOpaque(existing).takeUnretainedValue()
        }
        let arena = ScratchArena()
        pthread_setspecific(key, Unmanaged.passRetained(arena).toOpaque())
        return arena
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            #if canImport(Darwin)
            Unmanaged<ScratchArena>.fromOpaque(pointer).release()
            #else
            if let pointer { Unmanaged<ScratchArena>.fromOpaque(pointer).release() }
            #endif
        }
        return key
    }()
}
