import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Viewers arriving all the time: full RTMP plays, one after another with `pause` between them,
/// each counted as a success only once it got a video keyframe within `timeout` (handshake,
/// connect, createStream, play, media). Records each attempt's time, the `server_version` its
/// metadata carried and why it failed.
final class PlayConnectLoop: @unchecked Sendable {
    struct Attempt {
        let start: Date
        let end: Date
        let version: String?
        /// Seconds from the connect to the first keyframe (nil on failure).
        let firstKeyframe: TimeInterval?
        let failure: String?
    }

    private let lock = NSLock()
    private var _attempts: [Attempt] = []
    private var running = true
    private var finished = false

    init(port: Int, stream: String, pause: useconds_t = 20_000, timeout: TimeInterval = 5) {
        Thread { [self] in
            while lock.withLock({ running }) {
                let start = Date()
                let player = RTMPTestPlayer(port: port, stream: stream)
                _ = Deadline.wait(timeout: timeout, every: 0.002) { player.keyframes > 0 || player.error != nil }
                let ok = player.keyframes > 0
                let attempt = Attempt(start: start, end: Date(), version: player.serverVersion, firstKeyframe: player.firstKeyframe,
                                      failure: ok ? nil : player.error ?? "no keyframe within \(timeout)s")
                player.stop()
                lock.withLock { _attempts.append(attempt) }
                usleep(pause)
            }
            lock.withLock { finished = true }
        }.start()
    }

    var attempts: [Attempt] { lock.withLock { _attempts } }
    var failures: [Attempt] { attempts.filter { $0.failure != nil } }

    /// Stops after the attempt under way (bounded by its timeout).
    func stop() {
        lock.withLock { running = false }
        _ = Deadline.wait(timeout: 10) { lock.withLock { finished } }
    }
}
