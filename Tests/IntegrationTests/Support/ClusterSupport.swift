import Foundation
import Kernel
import Protocol
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Configs and clients for the edge / origin-cluster tests.
enum ClusterConfigs {
    /// An origin with the API and HTTP-FLV; `cluster` goes inside the vhost. `api` overrides the
    /// API port (origin-cluster nodes must know each other's before they start).
    static func origin(cluster: String = "", api: String = "{API}", vhost extra: String = "") -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_api { enabled on; listen \(api); }
        http_server { enabled on; listen {HTTP}; dir ./objs/nginx/html; }
        vhost __defaultVhost__ {
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
            \(cluster)
            \(extra)
        }
        """
    }

    /// An edge pulling from (and pushing to) `origins` (`host:port` each); `vhost` goes in the vhost.
    static func edge(origins: [String], vhost extra: String = "") -> String {
        origin(cluster: "cluster { mode remote; origin \(origins.joined(separator: " ")); }", vhost: extra)
    }
}

extension SRSProcess {
    /// Milliseconds since midnight of the first log line containing `text` (SRS log timestamp).
    func logTimeMs(_ text: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains(text) }), line.count > 24 else { return nil }
        // [2020-02-19 11:07:20.818]
        let t = line.dropFirst(12).prefix(12).split(whereSeparator: { $0 == ":" || $0 == "." }).compactMap { Int($0) }
        guard t.count == 4 else { return nil }
        return ((t[0] * 60 + t[1]) * 60 + t[2]) * 1000 + t[3]
    }

    /// SIGKILL of the master and its workers (an origin that dies hard, connections reset).
    func killHard() {
        for child in Processes.children(of: pid) { kill(child, SIGKILL) }
        kill(pid, SIGKILL)
        waitExit(timeout: 5)
        _ = Deadline.wait(timeout: 5) { !TCPProbe.canConnect(port: rtmpPort) }
    }

    /// Play clients of `stream` in this server's API.
    func playClients(stream: String) throws -> [[String: Any]] {
        let json = try HTTPClient.get(port: apiPort, path: "/api/v1/clients/?count=100").json()
        return (json["clients"] as? [[String: Any]] ?? []).filter {
            ($0["name"] as? String) == stream && ($0["publish"] as? Bool) == false
        }
    }
}

/// An HTTP-FLV reader on its own thread: counts body bytes, notes when the server ends the response.
final class FLVReader: @unchecked Sendable {
    private let lock = NSLock()
    private var _bytes = 0
    private var _closed = false
    private var _status = 0
    private var stopped = false
    private var fd: Int32 = -1

    init(port: Int, path: String) {
        Thread { [self] in run(port: port, path: path) }.start()
    }

    var bytes: Int { lock.withLock { _bytes } }
    /// True once the server closed the connection (or it failed).
    var closed: Bool { lock.withLock { _closed } }
    var status: Int { lock.withLock { _status } }

    func stop() {
        lock.withLock { stopped = true }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func run(port: Int, path: String) {
        guard let fd = try? RawClient.connect(port: port) else {
            lock.withLock { _closed = true }
            return
        }
        self.fd = fd
        defer { close(fd) }
        RawClient.send(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8))
        var head: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while !lock.withLock({ stopped }) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 200) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            lock.withLock {
                if _status == 0 {
                    head += buf[0..<n]
                    if let sep = HTTPClient.find(head, [13, 10, 13, 10]) {
                        let line = String(decoding: head[0..<sep], as: UTF8.self).split(separator: " ")
                        _status = line.count > 1 ? Int(line[1]) ?? -1 : -1
                        _bytes += head.count - sep - 4
                    }
                } else {
                    _bytes += n
                }
            }
        }
        lock.withLock { _closed = true }
    }
}

/// A raw RTMP player that reports the server's error `onStatus` (an RTMP 302) and when the
/// server closed the connection.
enum RTMPRedirectProbe {
    struct Result {
        /// The info object of the first `onStatus` with level `error` (nil if none came).
        var status: AMF0Value?
        /// Seconds from that status until the server closed (nil if it stayed open).
        var closedAfter: TimeInterval?
        var statusCodes: [String]
    }

    static func play(port: Int, app: String = "live", stream: String, timeout: TimeInterval = 10) throws -> Result {
        let fd = try RawClient.connect(port: port)
        defer { close(fd) }
        try RawClient.startPlay(fd, port: port, app: app, stream: stream)
        var result = Result(status: nil, closedAfter: nil, statusCodes: [])
        var decoder = RTMPChunkDecoder()
        var statusAt: Date?
        var buf = [UInt8](repeating: 0, count: 65536)
        let deadline = Deadline(seconds: timeout)
        while !deadline.hasPassed {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 50) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                if let at = statusAt { result.closedAfter = Date().timeIntervalSince(at) }
                return result
            }
            for m in try decoder.feed(Array(buf[0..<n])) where m.type == RTMPMessageType.amf0Command {
                guard let cmd = try? RTMPCommand.decode(type: m.type, payload: m.payload), cmd.name == "onStatus",
                      let info = cmd.arguments.first else { continue }
                result.statusCodes.append(info["code"]?.stringValue ?? "")
                if info["level"]?.stringValue == "error" && result.status == nil {
                    result.status = info
                    statusAt = Date()
                }
            }
        }
        return result
    }
}

/// RTMP players and HTTP-FLV readers of one stream on an edge, spread over its workers.
final class EdgeViewers {
    let edge: SRSProcess
    let stream: String
    private(set) var players: [RTMPTestPlayer] = []
    private(set) var readers: [FLVReader] = []
    private var readerBytes: [Int] = []

    init(edge: SRSProcess, stream: String) {
        self.edge = edge
        self.stream = stream
    }

    var count: Int { players.count + readers.count }

    /// Workers (pids in the log) where one of our RTMP players started playing the stream, since
    /// `offset` in the log (a sibling's relay pull, also an RTMP play, is not ours).
    private func rtmpPlayingWorkers(after offset: Int) -> Set<Substring> {
        // [time][Trace][pid][cid] message
        let lines = edge.log.dropFirst(offset).split(separator: "\n").map { $0.split(separator: "]", maxSplits: 4) }
        let relays = Set(lines.filter { $0.count == 5 && $0[4].hasPrefix(" RTMP client ip=") && $0[4].hasSuffix(", relay") }.map { $0[3] })
        return Set(lines.filter { $0.count == 5 && $0[4].hasPrefix(" start play stream __defaultVhost__/live/\(stream),") && !relays.contains($0[3]) }
            .map { $0[2] })
    }

    private func startedPlays(after offset: Int) -> Int {
        let key = "__defaultVhost__/live/\(stream)"
        let log = edge.log.dropFirst(offset)
        return log.components(separatedBy: "start play stream \(key)").count - 1
            + log.components(separatedBy: "flv: start play \(key)").count - 1
    }

    /// Adds 8 RTMP players and 2 HTTP-FLV readers at a time until both workers have RTMP players
    /// (the kernel spreads connections over the workers' SO_REUSEPORT sockets).
    func spreadOverWorkers() throws {
        let offset = edge.log.count
        while count < 50 && (count < 10 || rtmpPlayingWorkers(after: offset).count < 2) {
            for _ in 0..<8 { players.append(RTMPTestPlayer(port: edge.rtmpPort, stream: stream)) }
            for _ in 0..<2 { readers.append(FLVReader(port: edge.httpPort, path: "/live/\(stream).flv")) }
            let n = count
            _ = Deadline.wait(timeout: 5) { self.startedPlays(after: offset) >= n }
        }
        guard rtmpPlayingWorkers(after: offset).count >= 2 else {
            throw TestError("\(count) viewers, RTMP players all on one worker:\n\(edge.log.suffix(4000))")
        }
    }

    func waitMedia(timeout: TimeInterval = 15) throws {
        let ok = Deadline.wait(timeout: timeout) {
            self.players.allSatisfy { $0.keyframes > 0 } && self.readers.allSatisfy { $0.bytes > 50_000 }
        }
        if !ok {
            throw TestError("players without media: \(players.filter { $0.keyframes == 0 }.map { $0.error ?? "-" }), "
                            + "readers \(readers.map(\.bytes))\n\(edge.log.suffix(4000))")
        }
    }

    func resetGaps() {
        players.forEach { $0.resetGap() }
        readerBytes = readers.map(\.bytes)
    }

    /// No player failed or went 1 s without media, and every reader is open and still reading.
    func checkUninterrupted(file: StaticString = #filePath, line: UInt = #line) {
        for p in players {
            XCTAssertNil(p.error, file: file, line: line)
            XCTAssertLessThan(p.maxGap, 1.0, file: file, line: line)
        }
        for (i, r) in readers.enumerated() {
            XCTAssertFalse(r.closed, "an HTTP-FLV reader was cut", file: file, line: line)
            XCTAssertGreaterThan(r.bytes, i < readerBytes.count ? readerBytes[i] : 0, file: file, line: line)
        }
        readerBytes = readers.map(\.bytes)
    }

    func stop() {
        players.forEach { $0.stop() }
        readers.forEach { $0.stop() }
    }
}
