import System

/// The play side of an edge for one stream (SRS's `SrsPlayEdge`): the first player starts one
/// upstream pull (a `StreamIngester`) that every later player shares; it stops when the last
/// player leaves. Logs SRS's state lines: Init 0 → Play 100 → IngestConnected 101, and
/// `edge change from 101 to 300 then 0 (init).` when stopped.
final class PlayEdge {
    /// SRS's edge states (`SrsEdgeState`).
    enum State: Int {
        case initial = 0
        case play = 100
        case ingestConnected = 101
        case publish = 200
        case ingestStopping = 300
    }

    let ingester: StreamIngester
    private(set) var state = State.initial
    /// Told once the pull stopped (the owner forgets this edge).
    var onStopped: (() -> Void)?

    init(ingester: StreamIngester) {
        self.ingester = ingester
        ingester.onStateChange = { [weak self] s in
            guard let self, s == .ingesting, self.state == .play else { return }
            self.state = .ingestConnected
            Log.traceClient("edge pull", "edge change from \(State.play.rawValue) to state \(State.ingestConnected.rawValue) (pull).", cid: ingester.cid)
        }
    }

    var source: LiveSource { ingester.source }

    /// A player arrived: starts the pull when idle. False when the source is published by
    /// someone else (then there is nothing to pull).
    func start() -> Bool {
        guard state == .initial else { return true }
        do {
            try ingester.start()
        } catch {
            Log.warnRepeated("edge pull", "edge pull \(source.key) not started: \(error)", cid: ingester.cid)
            return false
        }
        state = .play
        Log.traceClient("edge pull", "edge pull \(source.key) started for the first player", cid: ingester.cid)
        return true
    }

    /// The last player left: stops the pull.
    func stop() {
        guard state == .play || state == .ingestConnected else { return }
        let previous = state
        state = .ingestStopping
        ingester.stop()
        state = .initial
        Log.traceClient("edge pull", "edge change from \(previous.rawValue) to \(State.ingestStopping.rawValue) then \(state.rawValue) (init).", cid: ingester.cid)
        onStopped?()
    }
}
