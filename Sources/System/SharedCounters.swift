import CSystem
import Glibc

/// A table of 64-bit counters in memory shared between processes: `rows` rows of
/// `fieldsPerRow` counters, every access a sequentially consistent atomic. The master creates it
/// in a memfd and passes the fd to its workers as it passes listeners (and keeps it open across
/// its own re-exec); each process maps it. Rows are 64 bytes, one cache line, so workers writing
/// their own rows do not slow each other down.
///
/// Layout: row 0 is a header (`magic`, row count), rows 1... are the table's rows 0...
public final class SharedCounters {
    public static let fieldsPerRow = 8
    static let rowBytes = fieldsPerRow * MemoryLayout<Int64>.size
    /// "SRSCNT01": tells a mapped file of ours from anything else passed by mistake.
    static let magic: Int64 = 0x5352_5343_4E54_3031

    public let rows: Int
    /// The memfd, when this process keeps one (the master, which passes it to its workers and
    /// across its re-exec); nil for an anonymous table or a worker that closed its copy after
    /// mapping.
    public let fd: FileDescriptor?
    private let base: UnsafeMutablePointer<Int64>
    private let bytes: Int

    /// A new zeroed table in a memfd (the master's).
    public static func create(rows: Int, name: String) throws -> SharedCounters {
        let bytes = (rows + 1) * rowBytes
        let raw = csys_memfd(name, bytes)
        if raw < 0 { throw SystemError("memfd_create", context: name) }
        let fd = FileDescriptor(adopting: raw)
        guard let p = csys_map_shared(raw, bytes) else { throw SystemError("mmap", context: name) }
        let t = SharedCounters(base: p, rows: rows, bytes: bytes, fd: fd)
        csys_atomic_store(t.base + 1, Int64(rows))
        csys_atomic_store(t.base, magic)
        return t
    }

    /// A zeroed table in anonymous shared memory (tests: several "workers" in one process).
    public static func anonymous(rows: Int) throws -> SharedCounters {
        let bytes = (rows + 1) * rowBytes
        guard let p = csys_map_anonymous(bytes) else { throw SystemError("mmap", context: "anonymous") }
        let t = SharedCounters(base: p, rows: rows, bytes: bytes, fd: nil)
        csys_atomic_store(t.base + 1, Int64(rows))
        csys_atomic_store(t.base, magic)
        return t
    }

    /// Maps a table another process created. Takes `fd`: kept when `keepFD` (the master after a
    /// re-exec), else closed once mapped (the mapping stays).
    public init(mapping fd: FileDescriptor, keepFD: Bool) throws {
        let size = csys_fd_size(fd.rawValue)
        guard size >= Int64(2 * Self.rowBytes), size % Int64(Self.rowBytes) == 0,
              let p = csys_map_shared(fd.rawValue, Int(size)) else {
            let e = SystemError(size < 0 ? "fstat" : "mmap", context: "shared counters fd=\(fd), size=\(size)")
            fd.close()
            throw e
        }
        let base = p.bindMemory(to: Int64.self, capacity: Int(size) / 8)
        let rows = Int(size) / Self.rowBytes - 1
        guard csys_atomic_load(base) == Self.magic, csys_atomic_load(base + 1) == Int64(rows) else {
            _ = csys_unmap(p, Int(size))
            let e = SystemError("mmap", errno: EINVAL, context: "fd=\(fd) is not a shared counter table")
            fd.close()
            throw e
        }
        self.base = base
        self.rows = rows
        self.bytes = Int(size)
        if keepFD {
            self.fd = fd
        } else {
            fd.close()
            self.fd = nil
        }
    }

    private init(base: UnsafeMutableRawPointer, rows: Int, bytes: Int, fd: FileDescriptor?) {
        self.base = base.bindMemory(to: Int64.self, capacity: bytes / 8)
        self.rows = rows
        self.bytes = bytes
        self.fd = fd
    }

    deinit {
        _ = csys_unmap(UnsafeMutableRawPointer(base), bytes)
    }

    private func word(_ row: Int, _ field: Int) -> UnsafeMutablePointer<Int64> {
        precondition(row >= 0 && row < rows && field >= 0 && field < Self.fieldsPerRow, "shared counter out of range")
        return base + (row + 1) * Self.fieldsPerRow + field
    }

    public func load(_ row: Int, _ field: Int) -> Int64 { csys_atomic_load(word(row, field)) }

    public func store(_ row: Int, _ field: Int, _ value: Int64) { csys_atomic_store(word(row, field), value) }

    /// Adds `delta`; returns the new value.
    @discardableResult
    public func add(_ row: Int, _ field: Int, _ delta: Int64) -> Int64 { csys_atomic_add(word(row, field), delta) }

    /// Replaces `expected` by `desired`; false when the counter held something else.
    public func compareExchange(_ row: Int, _ field: Int, expected: Int64, desired: Int64) -> Bool {
        csys_atomic_cas(word(row, field), expected, desired) != 0
    }

    /// Zeroes every counter of `row`.
    public func reset(_ row: Int) {
        for f in 0..<Self.fieldsPerRow { store(row, f, 0) }
    }

    /// The sum of one field over every row.
    public func sum(_ field: Int) -> Int64 {
        var total: Int64 = 0
        for r in 0..<rows { total += load(r, field) }
        return total
    }
}
