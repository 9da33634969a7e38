#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A whole file mapped read-only into memory. Weights are read straight from the page cache; the
/// mapping lives as long as any tensor view that points into it.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let size: Int
    public let bytes: UnsafeRawPointer
    /// Read into anonymous memory (transparent huge pages) rather than mapped.
    private var isCopy = false

    /// How a file's bytes get into memory.
    public enum LoadMode: String, Sendable {
        /// Memory-mapped from the page cache: nothing copied, pages read on first touch.
        case map
        /// Read into anonymous memory advised to use 2 MiB pages: decode, which streams every
        /// weight once per token, runs ~25% faster (far fewer TLB misses) at the cost of a read.
        case memory
    }

    public init(path: String, mode: LoadMode = .map) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "not a regular file")
        }
        size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64))
            return
        }
        if mode == .memory {
            bytes = try Self.readIntoHugePages(fd: fd, size: size, path: path)
            isCopy = true
            return
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawPointer(mapped)
    }

    /// Reads the whole file into 2 MiB-aligned anonymous memory advised to use huge pages: fewer
    /// TLB misses when decode streams every weight once per token.
    private static func readIntoHugePages(fd: Int32, size: Int, path: String) throws -> UnsafeRawPointer {
        let huge = 2 << 20
        let capacity = (size + huge - 1) / huge * huge
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, huge, capacity) == 0, let memory else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "cannot allocate \(size) bytes")
        }
        _ = madvise(memory, capacity, 14 /* MADV_HUGEPAGE */)
        var done = 0
        while done < size {
            let n = pread(fd, memory + done, min(size - done, 1 << 30), off_t(done))
            guard n > 0 else {
                free(memory)
                throw SafeTensorsError.cannotOpen(path: path, reason: "read failed at byte \(done)")
            }
            done += n
        }
        return UnsafeRawPointer(memory)
    }

    deinit {
        if isCopy {
            free(UnsafeMutableRawPointer(mutating: bytes))
            return
        }
        if size == 0 {
            UnsafeMutableRawPointer(mutating: bytes).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: bytes), size)
        }
    }
}
