import CSystem
import Glibc

/// Watches one directory with inotify on the event loop and reports each event's file name and
/// mask: file writes, creations, renames into the directory and deletions. A config mounted from a
/// K8s ConfigMap changes by a rename of the `..data` symlink in its directory, an editor saves by
/// renaming a new file over the old one, `echo > file` writes in place: all show up here.
public final class DirectoryWatcher {
    public static let mask = UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)
        | UInt32(IN_DELETE) | UInt32(IN_ATTRIB)

    private let descriptor: FileDescriptor
    private let wd: Int32
    private let loop: EventLoop
    public let path: String

    /// `onEvent(name, mask, wd)` for every event (name is empty for events on the directory itself).
    public init(directory: String, loop: EventLoop, onEvent: @escaping (String, UInt32, Int32) -> Void) throws {
        self.path = directory
        self.loop = loop
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd < 0 { throw SystemError("inotify_init1") }
        descriptor = FileDescriptor(adopting: fd)
        wd = inotify_add_watch(fd, directory, Self.mask)
        if wd < 0 { throw SystemError("inotify_add_watch", context: directory) }
        try loop.register(fd: fd, events: EventLoop.readable) { _ in
            var buf = [UInt8](repeating: 0, count: 8192)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                for e in Self.parse(buf[0..<n]) { onEvent(e.name, e.mask, e.wd) }
            }
        }
    }

    deinit { loop.unregister(fd: descriptor.rawValue) }

    /// Splits a read of `struct inotify_event`s (wd, mask, cookie, len, name padded with NULs).
    static func parse(_ bytes: ArraySlice<UInt8>) -> [(wd: Int32, mask: UInt32, name: String)] {
        var out: [(Int32, UInt32, String)] = []
        var i = bytes.startIndex
        func u32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        while bytes.endIndex - i >= 16 {
            let wd = Int32(bitPattern: u32(i))
            let mask = u32(i + 4)
            let len = Int(u32(i + 12))
            guard bytes.endIndex - i - 16 >= len else { break }
            let nameBytes = bytes[(i + 16)..<(i + 16 + len)].prefix { $0 != 0 }
            out.append((wd, mask, String(decoding: nameBytes, as: UTF8.self)))
            i += 16 + len
        }
        return out
    }
}
