import CSRT
import Glibc
import Kernel
import Protocol
import SRT
import System

/// Lets the signal handler, made before the loop's owner is complete, stop the loop.
private final class StopFlag {
    weak var loop: EventLoop?
}

/// An SRT listener on one event loop, as a worker will run it: accepts publishers, reads every
/// message (optionally demuxing it to FLV frames) and reports what it saw.
final class HarnessServer {
    private struct Tracked {
        var connection: SRTConnection
        var messages = 0
        var converter: TSFLVConverter?
        var frames = 0
    }

    private let options: HarnessOptions
    private let report: HarnessReport
    private let loop: EventLoop
    private let poller: SRTPoller
    private let listener: SRTListener
    private var signals: SignalSource?
    private var connections: [SRTSOCKET: Tracked] = [:]
    private var bytes: UInt64 = 0
    private var messages = 0
    private var frames = 0
    private var accepted = 0
    private var closedByPeer = 0
    private var latencies: [Double] = []

    init(options: HarnessOptions, report: HarnessReport) throws {
        self.options = options
        self.report = report
        loop = try EventLoop()
        // Before libsrt starts its threads, so that they inherit the blocked signals.
        let stop = StopFlag()
        signals = try SignalSource(signals: [SIGTERM, SIGINT], loop: loop) { _ in stop.loop?.stop() }
        stop.loop = loop
        poller = try SRTPoller(loop: loop)
        var srt = SRTSocketOptions()
        srt.peerIdleTimeoutMs = options.peerIdleMs
        let admission: SRTListener.Admission = { id in (try? SRTStreamID.parse(id)) == nil ? 1400 : nil }
        if let fd = options.udpFD {
            listener = try SRTListener(udpFD: fd, options: srt, poller: poller, loop: loop, admission: admission)
        } else {
            listener = try SRTListener(host: options.host, port: options.port, reusePort: options.reusePort, options: srt,
                                       poller: poller, loop: loop, admission: admission)
        }
        listener.onAccept = { [weak self] c in self?.accept(c) }
    }

    func run() {
        report.write("ready", [JSONMember("port", .int(Int64(listener.port))), JSONMember("pid", .int(Int64(getpid())))])
        if options.latencyProbe { LatencyProbe.start(port: listener.port, seconds: options.seconds) }
        let cpu0 = HarnessClock.cpuSeconds()
        let t0 = HarnessClock.nowNs()
        loop.schedule(afterMs: Int64(options.seconds * 1000)) { [weak self] in self?.loop.stop() }
        // libsrt has no statistics for a broken socket: sample them, as SRS's pithy prints do.
        let sampler = loop.repeating(everyMs: 1000) { [weak self] in
            for (_, t) in self?.connections ?? [:] { _ = t.connection.stats() }
        }
        defer { sampler.cancel() }
        loop.run()
        let elapsed = Double(HarnessClock.nowNs() - t0) / 1e9
        let cpu = HarnessClock.cpuSeconds() - cpu0
        for (_, t) in connections { report.write("open", describe(t)) }
        report.write("summary", [
            JSONMember("pid", .int(Int64(getpid()))),
            JSONMember("seconds", .rounded(elapsed)), JSONMember("cpu_seconds", .rounded(cpu, decimals: 3)),
            JSONMember("cpu_percent", .rounded(100 * cpu / max(elapsed, 0.001), decimals: 1)),
            JSONMember("accepted", .int(Int64(accepted))), JSONMember("open", .int(Int64(connections.count))),
            JSONMember("closed_by_peer", .int(Int64(closedByPeer))),
            JSONMember("bytes", .int(Int64(bytes))), JSONMember("messages", .int(Int64(messages))),
            JSONMember("mbps", .rounded(Double(bytes) * 8 / 1e6 / max(elapsed, 0.001))),
            JSONMember("frames", .int(Int64(frames))), JSONMember("loop_wakeups", .int(Int64(poller.dispatchRounds))),
        ] + HarnessClock.percentiles(latencies, prefix: "latency"))
        for (_, t) in connections { t.connection.close() }
        listener.close()
        poller.close()
    }

    private func accept(_ c: SRTConnection) {
        accepted += 1
        var tracked = Tracked(connection: c)
        if options.demux { tracked.converter = TSFLVConverter() }
        connections[c.socket] = tracked
        report.write("accept", [JSONMember("streamid", .string(c.streamID)),
                                JSONMember("peer", .string("\(c.peerHost):\(c.peerPort)"))])
        let socket = c.socket
        let probe = c.streamID == LatencyProbe.streamID
        c.onMessage = { [weak self] message in
            guard let self else { return }
            self.bytes += UInt64(message.count)
            self.messages += 1
            if probe {
                // TSBPD holds each message until its send time + the latency: what is left over is
                // libsrt's delivery and the loop's wake-up.
                if let sent = LatencyProbe.timestamp(message) {
                    self.latencies.append(Double(Int64(bitPattern: HarnessClock.nowNs() &- sent)) / 1000 - LatencyProbe.latencyUs)
                }
                return
            }
            self.connections[socket]?.messages += 1
            if var converter = self.connections[socket]?.converter {
                let n = converter.feed(message).count
                self.connections[socket]?.converter = converter
                self.connections[socket]?.frames += n
                self.frames += n
            }
        }
        c.onClose = { [weak self] error in
            guard let self, let t = self.connections.removeValue(forKey: socket) else { return }
            self.closedByPeer += 1
            self.report.write("close", self.describe(t) + [JSONMember("reason", .string(error.description))])
        }
    }

    /// A connection's counts, libsrt's loss statistics and, when demuxing, what the demuxer saw.
    private func describe(_ t: Tracked) -> [JSONMember] {
        var members = [JSONMember("streamid", .string(t.connection.streamID)),
                       JSONMember("bytes", .int(Int64(t.connection.bytesReceived))),
                       JSONMember("messages", .int(Int64(t.messages))), JSONMember("frames", .int(Int64(t.frames)))]
        if let stats = t.connection.stats() {
            members += [JSONMember("rcv_loss", .int(Int64(stats.packetsReceiveLoss))),
                        JSONMember("rcv_retransmitted", .int(Int64(stats.interval.packetsReceiveRetransmitted))),
                        JSONMember("rcv_dropped", .int(Int64(stats.packetsReceiveDropped)))]
        }
        if let converter = t.converter {
            members += [JSONMember("cc_errors", .int(Int64(converter.demuxerCounters.continuityErrors))),
                        JSONMember("dropped_pes", .int(Int64(converter.demuxerCounters.droppedPES))),
                        JSONMember("dropped_frames", .int(Int64(converter.droppedFrames)))]
        }
        return members
    }
}
