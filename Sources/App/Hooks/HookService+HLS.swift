import Protocol
import System

/// One HLS player, as SRS 7 tracks it: a session named by the `hls_ctx` query parameter its
/// playlist URLs carry, alive while it asks for its playlist.
struct HLSPlaySession {
    var lastSeenMs: Int64
    /// Idle this long (twice the vhost's hls_window, as SRS), the session ends: on_stop.
    var expiresAfterMs: Int64
}

/// The HLS sessions of this worker's players (see `HTTPService+HLSSessions.swift`).
final class HLSPlaySessions {
    /// Sessions kept at most per worker; past it the least recently seen one ends.
    static let maxSessions = 10_000

    private var sessions: [String: HLSPlaySession] = [:]
    private var sweeper: RepeatingTimer?

    var count: Int { sessions.count }

    /// Marks `id` seen now; false when there is no such session here.
    func touch(_ id: String, now: Int64) -> Bool {
        guard sessions[id] != nil else { return false }
        sessions[id]?.lastSeenMs = now
        return true
    }

    /// Starts a session; returns the ids that ended to make room (their on_stop is the caller's).
    func start(_ id: String, expiresAfterMs: Int64, now: Int64) -> [String] {
        var ended: [String] = []
        while sessions.count >= Self.maxSessions, let oldest = sessions.min(by: { $0.value.lastSeenMs < $1.value.lastSeenMs })?.key {
            sessions.removeValue(forKey: oldest)
            ended.append(oldest)
        }
        sessions[id] = HLSPlaySession(lastSeenMs: now, expiresAfterMs: expiresAfterMs)
        return ended
    }

    /// The sessions idle past their time, removed.
    func expired(now: Int64) -> [String] {
        let gone = sessions.filter { now - $0.value.lastSeenMs > $0.value.expiresAfterMs }.map(\.key)
        for id in gone { sessions.removeValue(forKey: id) }
        return gone
    }

    /// Runs `check` every second while sessions exist.
    func keepSweeping(on loop: EventLoop, _ check: @escaping () -> Void) {
        guard sweeper == nil else { return }
        sweeper = loop.repeating(everyMs: 1000) { [weak self] in
            check()
            if self?.sessions.isEmpty == true {
                self?.sweeper?.cancel()
                self?.sweeper = nil
            }
        }
    }
}

extension HookService {
    /// An HLS player's session started (its play was accepted): on_stop when it ends.
    func hlsSessionStarted(client: HookClient, expiresAfterMs: Int64) {
        for id in hlsSessions.start(client.clientID, expiresAfterMs: expiresAfterMs, now: loop.now) { streamEnded(cid: id) }
        streamStarted(.play, client: client)
        hlsSessions.keepSweeping(on: loop) { [weak self] in
            guard let self else { return }
            for id in self.hlsSessions.expired(now: self.loop.now) { self.streamEnded(cid: id) }
        }
    }
}
