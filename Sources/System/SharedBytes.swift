import Glibc

/// Immutable bytes at a stable address, shared by reference. A media message is encoded once into
/// a `SharedBytes` and queued to every player; `writev` points straight at it (no copy per player).
public final class SharedBytes {
    public let base: UnsafeMutableRawPointer
    public let count: Int

    public init(_ bytes: [UInt8]) {
        count = bytes.count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        bytes.withUnsafeBytes { src in
            if let s = src.baseAddress, count > 0 { base.copyMemory(from: s, byteCount: count) }
        }
    }

    /// Concatenation of several byte arrays (header + payload + trailer) in one allocation.
    public init(concatenating parts: [[UInt8]]) {
        count = parts.reduce(0) { $0 + $1.count }
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        var off = 0
        for p in parts {
            p.withUnsafeBytes { src in
                if let s = src.baseAddress, p.count > 0 { (base + off).copyMemory(from: s, byteCount: p.count) }
            }
            off += p.count
        }
    }

    /// Several shared buffers copied into one (a batch of messages every player gets alike).
    public init<C: Collection>(joining parts: C) where C.Element == SharedBytes {
        count = parts.reduce(0) { $0 + $1.count }
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 16)
        var off = 0
        for p in parts {
            (base + off).copyMemory(from: p.base, byteCount: p.count)
            off += p.count
        }
    }

    deinit { base.deallocate() }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
