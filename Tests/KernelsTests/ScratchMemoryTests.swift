import XCTest

@testable import Kernels

final class ScratchMemoryTests: XCTestCase {
    /// Nested scopes get disjoint, aligned slices; a scope larger than the arena still works and
    /// leaves the outer slices intact.
    func testNestedScopesAreDisjointAndSurviveGrowth() {
        ScratchMemory.withFloats(1000) { outer in
            for i in 0..<1000 { outer[i] = Float(i) }
            XCTAssertEqual(Int(bitPattern: outer) % 64, 0)
            ScratchMemory.withFloats(10) { inner in
                XCTAssertEqual(Int(bitPattern: inner) % 64, 0)
                XCTAssertTrue(inner >= outer + 1000 || inner + 10 <= outer, "slices overlap")
                for i in 0..<10 { inner[i] = -1 }
                // Far larger than any block so far: a new block, the outer slices stay put.
                ScratchMemory.withFloats(3 << 20) { big in
                    big[0] = 7
                    big[(3 << 20) - 1] = 8
                    XCTAssertEqual(big[0] + big[(3 << 20) - 1], 15)
                }
                XCTAssertEqual(inner[9], -1)
            }
            XCTAssertEqual(outer[999], 999)
        }
    }

    /// Once the outermost scope ends the arena is one block as large as all of them, so the same
    /// pattern of scopes does not grow it again.
    func testArenaStopsGrowing() {
        func pattern() {
            ScratchMemory.withFloats(300_000) { a in
                ScratchMemory.withFloats(600_000) { b in a[0] = 1; b[0] = 2 }
            }
        }
        pattern()
        let reserved = ScratchMemory.reservedBytes
        for _ in 0..<5 { pattern() }
        XCTAssertEqual(ScratchMemory.reservedBytes, reserved)
    }

    /// Each thread has its own arena.
    func testThreadsUseTheirOwnArenas() {
        let addresses = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { addresses.deallocate() }
        nonisolated(unsafe) let raw = UnsafeMutableRawPointer(addresses)
        // Four threads hold a buffer at the same time (each waits for the others), so shared
        // memory would show as equal addresses or as a value overwritten by another thread.
        let arrived = DispatchGroup(), finished = DispatchGroup()
        for _ in 0..<4 { arrived.enter(); finished.enter() }
        for i in 0..<4 {
            Thread {
                ScratchMemory.withFloats(1024) { buffer in
                    for j in 0..<1024 { buffer[j] = Float(i) }
                    raw.assumingMemoryBound(to: Int.self)[i] = Int(bitPattern: buffer)
                    arrived.leave()
                    XCTAssertEqual(arrived.wait(timeout: .now() + 10), .success, "the four threads never held buffers together")
                    XCTAssertTrue((0..<1024).allSatisfy { buffer[$0] == Float(i) }, "thread \(i)'s buffer was written by another")
                }
                finished.leave()
            }.start()
        }
        XCTAssertEqual(finished.wait(timeout: .now() + 20), .success)
        let seen = Array(UnsafeBufferPointer(start: addresses, count: 4))
        XCTAssertEqual(Set(seen).count, 4, "buffers of simultaneous threads share memory: \(seen)")
    }

    /// A reusable object comes back on the next use; a nested use of the same type gets another.
    func testReusableObjects() {
        final class Box { var value = 0 }
        let first = ScratchMemory.withReusable(Box.self, make: Box.init) { box in
            ScratchMemory.withReusable(Box.self, make: Box.init) { inner in XCTAssertFalse(inner === box) }
            return ObjectIdentifier(box)
        }
        let second = ScratchMemory.withReusable(Box.self, make: Box.init) { ObjectIdentifier($0) }
        XCTAssertEqual(first, second)
    }
}
