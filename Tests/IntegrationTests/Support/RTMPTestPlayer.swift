import Foundation
import Kernel
import Protocol
#if canImport(Glibc)
import Glibc
#endif

/// A light RTMP player for tests that need many players: blocking socket, our own chunk decoder,
/// runs on its own thread and records what it received (first keyframe time, media gaps).
final class RTMPTestPlayer: @unchecked Sendable {
    let url: String
    private let lock = NSLock()
    private var _videoFrames = 0
    private var _audioFrames = 0
    private var _keyframes = 0
    private var _bytes = 0
    private var _lastMedia: Date?
    private var _maxGap: TimeInterval = 0
    private var _firstKeyframe: TimeInterval?
    private var _error: String?
    private var _statuses: [String] = []
    private var _serverVersion: String?
    private var stopped = false
    private var fd: Int32 = -1

    init(port: Int, app: String = "live", stream: String) {
        url = "rtmp://127.0.0.1:\(port)/\(app)/\(stream)"
        Thread { [self] in run(port: port, app: app, stream: stream) }.start()
    }

    var videoFrames: Int { lock.withLock { _videoFrames } }
    var audioFrames: Int { lock.withLock { _audioFrames } }
    var keyframes: Int { lock.withLock { _keyframes } }
    var bytes: Int { lock.withLock { _bytes } }
    var error: String? { lock.withLock { _error } }
    var statuses: [String] { lock.withLock { _statuses } }
    var serverVersion: String? { lock.withLock { _serverVersion } }
    /// Seconds from start to the first video keyframe.
    var firstKeyframe: TimeInterval? { lock.withLock { _firstKeyframe } }
    /// The longest pause between two media messages, and since the last one until now.
    var maxGap: TimeInterval {
        lock.withLock { max(_maxGap, _lastMedia.map { Date().timeIntervalSince($0) } ?? 0) }
    }
    /// Resets the gap measure (e.g. after the stream started).
    func resetGap() { lock.withLock { _maxGap = 0; _lastMedia = Date() } }

    func stop() {
        lock.withLock { stopped = true }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func fail(_ why: String) { lock.withLock { if _error == nil { _error = why } } }

    private func run(port: Int, app: String, stream: String) {
        let start = Date()
        do {
            fd = try RawClient.connect(port: port)
        } catch {
            fail("\(error)")
            return
        }
        defer { close(fd) }
        do {
            try RawClient.startPlay(fd, port: port, app: app, stream: stream)
        } catch {
            return fail("\(error)")
        }
        var decoder = RTMPChunkDecoder()
        var buf = [UInt8](repeating: 0, count: 65536)
        while !isStopped {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 200) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                if !isStopped { fail("connection closed by server") }
                return
            }
            let messages: [RTMPMessage]
            do { messages = try decoder.feed(Array(buf[0..<n])) } catch {
                return fail("decode: \(error)")
            }
            let now = Date()
            lock.withLock {
                _bytes += n
                for m in messages {
                    switch m.type {
                    case RTMPMessageType.video:
                        _videoFrames += 1
                        if m.payload.first.map({ $0 >> 4 == 1 }) == true && m.payload.count > 1 && m.payload[1] == 1 {
                            _keyframes += 1
                            if _firstKeyframe == nil { _firstKeyframe = now.timeIntervalSince(start) }
                        }
                        note(now)
                    case RTMPMessageType.audio:
                        _audioFrames += 1
                        note(now)
                    case RTMPMessageType.amf0Command:
                        if let cmd = try? RTMPCommand.decode(type: m.type, payload: m.payload), cmd.name == "onStatus",
                           let code = cmd.arguments.first?["code"]?.stringValue {
                            _statuses.append(code)
                        }
                    case RTMPMessageType.amf0Data:
                        if let values = try? AMF0.decodeAll(m.payload), values.first?.stringValue == "onMetaData" {
                            _serverVersion = values.dropFirst().first?["server_version"]?.stringValue
                        }
                    default:
                        break
                    }
                }
            }
        }
    }

    /// Called with the lock held.
    private func note(_ now: Date) {
        if let last = _lastMedia { _maxGap = max(_maxGap, now.timeIntervalSince(last)) }
        _lastMedia = now
    }
}
