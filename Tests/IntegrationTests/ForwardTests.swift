import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `forward`: every stream published here is published again to the destinations (a second
/// srs here), once per stream whatever the number of workers, reconnecting when the
/// destination comes back; SRS 5's `backend` names the destinations per publish.
final class ForwardTests: XCTestCase {
    static func origin(forward: String) -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        worker_processes 2;
        http_api { enabled on; listen {API}; }
        vhost __defaultVhost__ {
            forward { enabled on; \(forward) }
        }
        """
    }

    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg not installed")
    }

    func testForwardedStreamPlaysAtTheDestinationWithBothTracksOncePerStream() throws {
        let dest = try SRSProcess(config: SRSProcess.basicConfig)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(dest) }
        try dest.waitListening()
        let srs = try SRSProcess(config: Self.origin(forward: "destination 127.0.0.1:\(dest.rtmpPort);"))
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/fwd?token=t1", seconds: 30, size: "160x120")
        defer { pub.stop() }
        try dest.waitForLog("start publish stream __defaultVhost__/live/fwd", timeout: 15)
        let probe = try FFmpeg.probe("rtmp://127.0.0.1:\(dest.rtmpPort)/live/fwd")
        XCTAssertEqual(FFmpeg.codecs(probe), ["h264", "aac"])
        // Players on both workers of the origin do not make a second forward.
        let players = (0..<4).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "fwd") }
        defer { players.forEach { $0.stop() } }
        XCTAssertTrue(Deadline.wait(timeout: 10) { players.allSatisfy { $0.keyframes > 0 } })
        XCTAssertEqual(dest.log.components(separatedBy: "start publish stream __defaultVhost__/live/fwd").count - 1, 1, dest.log)
        let streams = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/streams/")["streams"] as? [[String: Any]] ?? []
        let forward = streams.first { $0["name"] as? String == "fwd" }?["forward"] as? [[String: Any]]
        XCTAssertEqual(forward?.count, 1)
        XCTAssertEqual(forward?.first?["state"] as? String, "forwarding")
        XCTAssertEqual(forward?.first?["destination"] as? String, "127.0.0.1:\(dest.rtmpPort)")
        // The client's params travel with the stream, as SRS.
        XCTAssertEqual(forward?.first?["url"] as? String, "rtmp://127.0.0.1:\(dest.rtmpPort)/live/fwd?token=t1")
    }

    func testForwardReconnectsWhenTheDestinationComesBack() throws {
        let destPort = FreePort.next()
        let srs = try SRSProcess(config: Self.origin(forward: "destination 127.0.0.1:\(destPort);"))
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/later", seconds: 40, size: "160x120")
        defer { pub.stop() }
        // Nobody listens yet: the forwarder retries with growing delays, the publish goes on.
        try srs.waitForLog("retry in 250ms", timeout: 15)
        let config = SRSProcess.basicConfig.replacingOccurrences(of: "listen {RTMP};", with: "listen \(destPort);")
        let dest = try SRSProcess(config: config)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(dest) }
        try dest.waitListening(destPort)
        let started = Date()
        try dest.waitForLog("start publish stream __defaultVhost__/live/later", timeout: 10)
        print("forward: republished \(Int(Date().timeIntervalSince(started) * 1000)) ms after the destination came up")
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(destPort)/live/later")), ["h264", "aac"])
        // The destination restarts: forwarding resumes at once.
        dest.stop()
        let again = try SRSProcess(config: config)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(again) }
        try again.waitListening(destPort)
        try again.waitForLog("start publish stream __defaultVhost__/live/later", timeout: 10)
    }

    func testReloadTurnsForwardOffAndALoopToItselfIsRefused() throws {
        let dest = try SRSProcess(config: SRSProcess.basicConfig)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(dest) }
        try dest.waitListening()
        // The origin's own port among the destinations would publish the stream onto itself.
        let srs = try SRSProcess(config: Self.origin(forward: "destination 127.0.0.1:{RTMP} 127.0.0.1:\(dest.rtmpPort);"))
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/rl", seconds: 40, size: "160x120")
        defer { pub.stop() }
        try dest.waitForLog("start publish stream __defaultVhost__/live/rl", timeout: 15)
        XCTAssertTrue(srs.log.contains("forward loop detected, ignore destination 127.0.0.1:\(srs.rtmpPort)"), srs.log)
        try srs.rewriteConfig(Self.origin(forward: "destination 127.0.0.1:\(dest.rtmpPort);").replacingOccurrences(of: "enabled on; destination", with: "enabled off; destination"))
        srs.signal(SIGHUP)
        try srs.waitForLog("vhost __defaultVhost__ reload forward success.", timeout: 5)
        try dest.waitForLog("unpublish stream __defaultVhost__/live/rl", timeout: 5)
        XCTAssertEqual(dest.log.components(separatedBy: "start publish stream __defaultVhost__/live/rl").count - 1, 1)
    }

    func testBackendNamesTheDestinations() throws {
        let dest = try SRSProcess(config: SRSProcess.basicConfig)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(dest) }
        try dest.waitListening()
        let backend = try BackendStub(answer: #"{"code":0,"data":{"urls":["rtmp://127.0.0.1:\#(dest.rtmpPort)/backup/renamed"]}}"#)
        defer { backend.stop() }
        let srs = try SRSProcess(config: Self.origin(forward: "destination 127.0.0.1:1; backend http://127.0.0.1:\(backend.port)/api/v1/forward;"))
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/b?k=v", seconds: 30, size: "160x120")
        defer { pub.stop() }
        try dest.waitForLog("start publish stream __defaultVhost__/backup/renamed", timeout: 15)
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(dest.rtmpPort)/backup/renamed")), ["h264", "aac"])
        let request = try XCTUnwrap(backend.requests.first)
        XCTAssertTrue(request.hasPrefix("POST /api/v1/forward HTTP/1.1"), request)
        let body = try XCTUnwrap(request.components(separatedBy: "\r\n\r\n").last?.data(using: .utf8))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        XCTAssertEqual(json["action"] as? String, "on_forward")
        XCTAssertEqual(json["app"] as? String, "live")
        XCTAssertEqual(json["stream"] as? String, "b")
        XCTAssertEqual(json["param"] as? String, "?k=v")
        XCTAssertEqual(json["vhost"] as? String, "__defaultVhost__")
        XCTAssertNotNil(json["client_id"] as? String)
        // The backend's answer replaces `destination`.
        XCTAssertFalse(srs.log.contains("127.0.0.1:1:"), srs.log)
    }
}

/// An HTTP server answering every request with one JSON body, recording the requests.
final class BackendStub: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var recorded: [String] = []

    var requests: [String] { lock.withLock { recorded } }

    init(answer: String) throws {
        port = FreePort.next()
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw TestError("backend stub cannot listen on \(port)") }
        let reply = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(answer.utf8.count)\r\nConnection: close\r\n\r\n\(answer)".utf8)
        Thread { [self] in serve(reply) }.start()
    }

    private func serve(_ reply: [UInt8]) {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            let request = readRequest(c)
            lock.withLock { recorded.append(request) }
            _ = reply.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(c)
        }
    }

    /// The head and a body of Content-Length bytes (5 s at most).
    private func readRequest(_ c: Int32) -> String {
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        let deadline = Deadline(seconds: 5)
        while !deadline.hasPassed {
            var pfd = pollfd(fd: c, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buf[0..<n]
            guard let end = HTTPClient.find(data, [13, 10, 13, 10]) else { continue }
            let head = String(decoding: data[0..<end], as: UTF8.self).lowercased()
            let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if data.count - (end + 4) >= length { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
