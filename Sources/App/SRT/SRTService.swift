import Core
import Kernel
import Protocol
import SRT
import System

/// SRT in a worker (docs/srt.md): one `SRTPoller` (made with the first listener: libsrt's
/// threads start then, after the worker blocked its signals), the listener of this worker's
/// slot socket, and a client per accepted connection. The handshake refuses a stream id SRS
/// could not parse (SRT_REJX_BAD_REQUEST); the rest is decided once accepted, on the loop.
final class SRTService {
    private let loop: EventLoop
    private let config: ConfigStore
    private var poller: SRTPoller?
    private var listeners: [ListenerSpec: SRTListener] = [:]
    /// Called with each accepted connection (the server admits it and makes its client).
    var onAccept: ((SRTConnection, ListenerSpec) -> Void)?

    init(loop: EventLoop, config: ConfigStore) {
        self.loop = loop
        self.config = config
    }

    /// Listens on a slot socket the master bound (libsrt takes the fd over).
    func open(_ spec: ListenerSpec, fd: FileDescriptor) throws {
        listeners.removeValue(forKey: spec)?.close()
        let poller = try self.poller ?? SRTPoller(loop: loop)
        self.poller = poller
        // libsrt 1.5's receive thread select()s on the socket: its number must be below 1024.
        let raw = try UDPSocket.belowSelectLimit(fd.release())
        let srt = config.current.srtServer
        let defaultApp = srt.defaultApp
        let admission: SRTListener.Admission = { id in
            (try? SRTStreamID.parse(id.isEmpty ? SRTStreamID.defaultWhenEmpty : id, defaultApp: defaultApp)) == nil ? 1400 : nil
        }
        let l = try SRTListener(udpFD: raw, options: srt.options, poller: poller, loop: loop, admission: admission)
        l.onAccept = { [unowned self] c in self.onAccept?(c, spec) }
        listeners[spec] = l
        Log.trace("SRT listen at udp://\(spec.address) (slot \(spec.srtSlot ?? 0)), fd=\(raw), libsrt \(SRTLibrary.version)")
    }

    /// Stops accepting on one slot (its connections stay until they end).
    func close(_ spec: ListenerSpec) {
        listeners.removeValue(forKey: spec)?.close()
    }

    var listening: Set<ListenerSpec> { Set(listeners.keys) }

    func closeListeners() {
        for l in listeners.values { l.close() }
        listeners.removeAll()
    }
}
