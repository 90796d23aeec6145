import Protocol
import System

/// What an RTMP connection remembers of its access checks.
struct RTMPAccessState {
    /// The hooks deciding about a publish or play now (the session holds later messages).
    var decision: HookService.Decision?
    var deciding: Bool { decision != nil }
}

/// `security` and `http_hooks` for RTMP clients: the few calls `RTMPConnection` makes.
///
/// SRS's order: when the client names its stream (`publish`/`play`; SRS calls on_connect then,
/// so its body carries the stream and its params), the vhost's security rules, then on_connect
/// and on_publish or on_play, every URL in order. While the hooks run, the client waits: the
/// session holds its later messages and the socket is not read (a client waiting for a hook is
/// not waiting for its client: no command-phase deadline, never evicted for it). Refused: the
/// client gets `onStatus` level error (`NetStream.Publish.Denied`, `NetStream.Play.Failed`; the
/// description names the event and carries the hook server's answer, or says the security
/// rules denied it, never a hook URL or a rule) and is closed; SRS 7 closes without a word.
extension RTMPConnection {
    /// This client as hook bodies describe it now.
    var hookClient: HookClient {
        HookClient(clientID: cid, ip: socket.peerIP, vhost: request.vhost, app: request.app, stream: request.stream,
                   param: request.param, tcUrl: request.tcUrl, pageUrl: request.pageUrl,
                   streamID: request.stream.isEmpty ? nil : StableID.make(request.streamKey))
    }

    /// Checks a publish or play before it is served. False when nothing applies (serve it
    /// now); true when it was refused, or when hooks decide: then `serve` runs once they
    /// accepted, followed by what the client sent meanwhile.
    func checkAccess(_ action: SecurityRules.Action, serve: @escaping () -> Void) -> Bool {
        guard !isInternal, let vhost = config.current.vhost(request.vhost) else { return false }
        if let why = vhost.security.refusal(action, ip: socket.peerIP) {
            refuseAccess(action, "security: \(why)", client: "denied by security rules")
            return true
        }
        let event: HookEvent = action == .publish ? .publish : .play
        let asked = [(HookEvent.connect, vhost.hooks.urls(.connect)), (event, vhost.hooks.urls(event))]
        guard let decision = hooks.decide(asked, client: hookClient, timeoutMs: vhost.hooks.timeoutMs, { [weak self] refusal in
            self?.accessDecided(action, refusal, serve: serve)
        }) else { return false }
        access.decision = decision
        pauseReading(.hookDecision, true)
        return true
    }

    private func accessDecided(_ action: SecurityRules.Action, _ refusal: String?, serve: () -> Void) {
        guard access.deciding, !socket.closed else { return }
        Log.cid = cid
        access.decision = nil
        if let refusal {
            refuseAccess(action, refusal, client: refusal)
            return
        }
        pauseReading(.hookDecision, false)
        serve()
        do {
            try handleEvents()
        } catch {
            fail("\(error)")
        }
        observeStart()
    }

    /// Answers the refusal (`client`: the description the client gets) and closes; logs `why`.
    private func refuseAccess(_ action: SecurityRules.Action, _ why: String, client: String) {
        rtmp.rejectStream(code: action == .publish ? "NetStream.Publish.Denied" : "NetStream.Play.Failed", description: client)
        writeOutput()
        closeAfterRefusal()
        Log.warnRepeated(action == .publish ? "reject publish" : "reject play", "reject \(action.rawValue) \(request.streamKey): \(why)", cid: cid)
    }

    /// A publish or play was served: its end will be reported (on_unpublish, on_stop).
    func accessStarted() {
        guard !isInternal else { return }
        switch role {
        case .publisher, .edgePublisher: hooks.streamStarted(.publish, client: hookClient)
        case .player: hooks.streamStarted(.play, client: hookClient)
        case .none: break
        }
    }

    /// The client's publish or play ends (called before `role` is reset).
    func accessRoleEnded() {
        if case .none = role { return }
        hooks.streamEnded(cid: cid)
    }

    /// The connection closed: a pending decision is dropped; on_close once `connect` was accepted.
    func accessConnectionClosed() {
        access.decision?.cancel()
        access.decision = nil
        guard !isInternal, rtmp.isConnected else { return }
        hooks.rtmpClosed(client: hookClient, sendBytes: socket.bytesWritten, recvBytes: socket.bytesRead)
    }
}
