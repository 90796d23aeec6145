import CSRT
import CSRTSupport
import System

/// Puts SRT sockets on the worker's event loop. libsrt sockets are not kernel fds: libsrt runs
/// its own threads (a receive and a send thread per UDP port, a delivery thread per socket in
/// TSBPD mode) and reports readiness through its own epoll (`srt_epoll_*`), which has no fd the
/// loop's epoll could watch. So a pump thread (CSRTSupport) blocks in `srt_epoll_uwait` and
/// wakes the loop through an eventfd; handlers run on the loop thread with SRT_EPOLL_IN/OUT/ERR
/// bits, like `EventLoop.register`'s. Subscriptions are edge-triggered: a handler reads (or
/// writes) until libsrt says it would block.
///
/// Chosen over polling `srt_epoll_uwait` from a loop timer (what SRS does, every 1 or 10 ms) and
/// over waiting in `srt_epoll_wait` with the loop's fds added (libsrt checks those only every
/// 10 ms): same CPU as 1 ms polling, none when idle, the lowest latency (docs/srt.md).
public final class SRTPoller {
    public typealias Handler = (_ events: Int32) -> Void

    /// SRT_EPOLL_IN, _OUT and _ERR: the bits of `add`, `modify` and of the handlers' events.
    public static let readable = Int32(bitPattern: SRT_EPOLL_IN.rawValue)
    public static let writable = Int32(bitPattern: SRT_EPOLL_OUT.rawValue)
    public static let error = Int32(bitPattern: SRT_EPOLL_ERR.rawValue)
    static let edgeTriggered = Int32(bitPattern: SRT_EPOLL_ET.rawValue)

    private struct Registration {
        var events: Int32
        var handler: Handler
    }

    private let loop: EventLoop
    private let eid: Int32
    private var registrations: [SRTSOCKET: Registration] = [:]
    private var pump: OpaquePointer?
    private let wake: EventFD
    private var batch = [SRT_EPOLL_EVENT](repeating: SRT_EPOLL_EVENT(), count: Int(CSRT_PUMP_BATCH))
    public private(set) var closed = false
    /// Batches of events the loop handled, for the measurements.
    public private(set) var dispatchRounds = 0

    /// Starts libsrt if needed, an eid and its pump thread, and watches the pump's eventfd.
    public init(loop: EventLoop) throws {
        SRTLibrary.start()
        self.loop = loop
        eid = srt_epoll_create()
        if eid < 0 { throw SRTError.last("srt_epoll_create") }
        // An eid with no socket yet is fine to wait on.
        _ = srt_epoll_set(eid, Int32(SRT_EPOLL_ENABLE_EMPTY.rawValue))
        do {
            wake = try EventFD()
            guard let pump = csrt_pump_start(eid, wake.fd) else { throw SystemError("pthread_create", context: "srt pump") }
            self.pump = pump
            try loop.register(fd: wake.fd, events: EventLoop.readable) { [weak self] _ in self?.drainPump() }
        } catch {
            csrt_pump_stop(pump)
            srt_epoll_release(eid)
            throw error
        }
    }

    deinit { close() }

    /// Watches `socket` for `events` (SRT_EPOLL_IN/OUT/ERR bits).
    public func add(_ socket: SRTSOCKET, events: Int32, handler: @escaping Handler) throws {
        var flags = events | Self.edgeTriggered
        if srt_epoll_add_usock(eid, socket, &flags) != 0 { throw SRTError.last("srt_epoll_add_usock", context: "@\(socket)") }
        registrations[socket] = Registration(events: events, handler: handler)
    }

    /// Changes the events watched (libsrt reports a readiness that already holds at once).
    public func modify(_ socket: SRTSOCKET, events: Int32) {
        guard var r = registrations[socket], r.events != events else { return }
        r.events = events
        registrations[socket] = r
        var flags = events | Self.edgeTriggered
        _ = srt_epoll_update_usock(eid, socket, &flags)
    }

    /// Stops watching `socket`. Call before closing it.
    public func remove(_ socket: SRTSOCKET) {
        guard registrations.removeValue(forKey: socket) != nil else { return }
        _ = srt_epoll_remove_usock(eid, socket)
    }

    /// Stops the pump (joining its thread, under 100 ms) and releases the eid.
    public func close() {
        guard !closed else { return }
        closed = true
        loop.unregister(fd: wake.fd)
        csrt_pump_stop(pump)
        pump = nil
        srt_epoll_release(eid)
        registrations.removeAll()
    }

    private func drainPump() {
        guard let pump else { return }
        // The eventfd first: a batch handed over after this signals it again.
        wake.drain()
        let n = batch.withUnsafeMutableBufferPointer { csrt_pump_take(pump, $0.baseAddress) }
        dispatch(Int(n))
    }

    private func dispatch(_ count: Int) {
        guard count > 0 else { return }
        dispatchRounds += 1
        for i in 0..<count {
            let e = batch[i]
            guard let r = registrations[e.fd] else { continue }  // removed meanwhile
            r.handler(e.events)
        }
    }
}
