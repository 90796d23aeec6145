import CSRT
import Kernel
import System

/// An SRT listener on the loop: libsrt does the handshakes on its own threads; this accepts the
/// connections it completed and hands each to `onAccept` as an `SRTConnection`.
///
/// The UDP socket is ours, given to libsrt with `srt_bind_acquire` (libsrt owns and closes it
/// from then on): so it can be bound with SO_REUSEPORT, or be a socket the master bound and
/// passed on, like the TCP listeners. libsrt 1.5's receive thread waits on it with select(), so
/// its fd must be below FD_SETSIZE (1024): bind it early, or keep the fd number the master gave.
public final class SRTListener {
    /// Decides on a stream id during the handshake, on a libsrt thread (so it must be pure):
    /// nil accepts, a code rejects (SRT_REJX_* of access_control.h, 1400 bad request...), which
    /// the client sees as the reason (ffmpeg prints it).
    public typealias Admission = @Sendable (_ streamID: String) -> Int32?

    /// libsrt's id of the listening socket.
    public let socket: SRTSOCKET
    /// The UDP port it listens on (the one bound, for port 0).
    public let port: Int
    /// Each connection libsrt completed; the callee keeps it (a released connection closes).
    public var onAccept: ((SRTConnection) -> Void)?
    public private(set) var closed = false
    /// Connections accepted so far.
    public private(set) var accepted = 0

    static let acceptBudget = 64

    private let poller: SRTPoller
    private let loop: EventLoop
    private let maxQueuedBytes: Int
    private var gate: Unmanaged<AdmissionGate>?

    /// Binds a UDP socket on host:port (SO_REUSEPORT when `reusePort`) and listens on it.
    public convenience init(host: String, port: Int, reusePort: Bool, options: SRTSocketOptions, poller: SRTPoller,
                            loop: EventLoop, backlog: Int = 100, admission: Admission? = nil) throws {
        let fd = try UDPSocket.bind(host: host, port: port, reusePort: reusePort)
        try self.init(udpFD: fd, options: options, poller: poller, loop: loop, backlog: backlog, admission: admission)
    }

    /// Listens on a bound UDP socket, which libsrt takes over (it is closed here if that fails).
    /// `backlog` is SRS's 100.
    public init(udpFD: Int32, options: SRTSocketOptions, poller: SRTPoller, loop: EventLoop, backlog: Int = 100,
                admission: Admission? = nil, maxQueuedBytes: Int = 8 << 20) throws {
        SRTLibrary.start()
        self.poller = poller
        self.loop = loop
        self.maxQueuedBytes = maxQueuedBytes
        let socket = srt_create_socket()
        guard socket != SRT_INVALID_SOCK else {
            UDPSocket.close(udpFD)
            throw SRTError.last("srt_create_socket")
        }
        self.socket = socket
        do {
            try options.apply(to: socket)
            if srt_bind_acquire(socket, udpFD) != 0 {
                UDPSocket.close(udpFD)
                throw SRTError.last("srt_bind_acquire", context: "fd=\(udpFD)")
            }
            if let admission {
                let gate = Unmanaged.passRetained(AdmissionGate(admission))
                self.gate = gate
                let rc = srt_listen_callback(socket, { opaque, ns, _, _, streamID in
                    guard let opaque else { return 0 }
                    let gate = Unmanaged<AdmissionGate>.fromOpaque(opaque).takeUnretainedValue()
                    // A stream id that is not UTF-8 is a bad request (SRT_REJX_BAD_REQUEST).
                    guard let id = streamID.map({ String(validatingCString: $0) }) ?? "" else {
                        srt_setrejectreason(ns, 1400)
                        return -1
                    }
                    guard let code = gate.admission(id) else { return 0 }
                    srt_setrejectreason(ns, code)
                    return -1
                }, gate.toOpaque())
                if rc != 0 { throw SRTError.last("srt_listen_callback") }
            }
            if srt_listen(socket, Int32(backlog)) != 0 { throw SRTError.last("srt_listen") }
            port = SRTAddress.localPort(of: socket)
            try poller.add(socket, events: SRTPoller.readable | SRTPoller.error) { [weak self] _ in self?.acceptReady() }
        } catch {
            srt_close(socket)
            gate?.release()
            gate = nil
            throw error
        }
    }

    deinit {
        if !closed { close() }
    }

    /// Stops listening. Accepted connections stay (they share the UDP socket, which libsrt
    /// closes with the last of them).
    public func close() {
        guard !closed else { return }
        closed = true
        poller.remove(socket)
        srt_close(socket)
        // libsrt 1.5 calls the hook under the receive queue's listener lock, and srt_close takes
        // the listener out of that queue under the same lock before returning (api.cpp close,
        // queue.cpp worker_ProcessConnectionRequest): the gate is unused from here on.
        gate?.release()
        gate = nil
    }

    private func acceptReady() {
        for _ in 0..<Self.acceptBudget {
            guard !closed else { return }
            let s = srt_accept(socket, nil, nil)
            if s == SRT_INVALID_SOCK {
                let error = SRTError.last("srt_accept")
                if !error.wouldBlock { Log.warnRepeated("srt accept failed", "srt accept failed on port \(port): \(error)") }
                return
            }
            do {
                let connection = try SRTConnection(socket: s, poller: poller, loop: loop, maxQueuedBytes: maxQueuedBytes)
                accepted += 1
                onAccept?(connection)
            } catch {
                Log.warnRepeated("srt accept failed", "srt accept failed on port \(port): \(error)")
            }
        }
        loop.runSoon { [weak self] in self?.acceptReady() }
    }
}

/// The admission check, shared with libsrt's handshake thread (immutable, hence Sendable).
final class AdmissionGate: Sendable {
    let admission: SRTListener.Admission

    init(_ admission: @escaping SRTListener.Admission) {
        self.admission = admission
    }
}
