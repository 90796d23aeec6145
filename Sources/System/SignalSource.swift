import CSystem
import Glibc

/// Delivers signals to the event loop through a signalfd: handlers run as ordinary loop events,
/// at once (SRS polls once a second; we do not).
public final class SignalSource {
    private let descriptor: FileDescriptor
    private let loop: EventLoop

    public init(signals: [Int32], loop: EventLoop, handler: @escaping (Int32) -> Void) throws {
        self.loop = loop
        let fd = signals.withUnsafeBufferPointer { csys_signalfd($0.baseAddress, Int32($0.count)) }
        if fd < 0 { throw SystemError("signalfd") }
        descriptor = FileDescriptor(adopting: fd)
        try loop.register(fd: fd, events: UInt32(EPOLLIN.rawValue)) { _ in
            while true {
                var sender: Int32 = 0
                let sig = csys_signalfd_read(fd, &sender)
                if sig <= 0 { return }
                handler(sig)
            }
        }
    }

    deinit { loop.unregister(fd: descriptor.rawValue) }
}
