import Core

/// Where an HTTP connection is in its request cycle, since when, and whether that took too long:
/// a request head must be complete `client_header_timeout` after its first byte (after the
/// accept, for the first request), a body `client_body_timeout` after its head, and a
/// keep-alive connection may idle `keepAliveMs` between requests. While a request is handled
/// (an answer being gathered, a response or an HTTP-FLV stream going out) no deadline runs:
/// the send timeout covers a peer that stops reading. Pure: time comes in.
struct HTTPRequestClock: Equatable {
    enum Phase: Equatable {
        /// Waiting for a request head to be complete.
        case head
        /// Waiting for a request body to be complete.
        case body
        /// A request is being answered.
        case handling
        /// Keep-alive: a request was answered, no byte of the next one came yet.
        case idle
    }

    private(set) var phase = Phase.head
    /// When the phase began (monotonic ms).
    private(set) var since: Int64
    /// True once a request was answered (a silent new connection waits for a head, not idle).
    private(set) var answered = false

    init(now: Int64) { since = now }

    /// Takes in what the connection sees now: a request being handled, a body being read, bytes
    /// of a head received.
    mutating func observe(handling: Bool, readingBody: Bool, headStarted: Bool, now: Int64) {
        if phase == .handling && !handling { answered = true }
        let next: Phase = handling ? .handling : readingBody ? .body : headStarted || !answered ? .head : .idle
        guard next != phase else { return }
        phase = next
        since = now
    }

    /// Why the connection must close now, or nil.
    func overdue(now: Int64, timeouts: ClientTimeouts, keepAliveMs: Int64) -> String? {
        let age = now - since
        switch phase {
        case .head where age > Int64(timeouts.httpHeaderMs):
            return "request head not complete within \(timeouts.httpHeaderMs)ms (client_header_timeout)"
        case .body where age > Int64(timeouts.httpBodyMs):
            return "request body not complete within \(timeouts.httpBodyMs)ms (client_body_timeout)"
        case .idle where age > keepAliveMs:
            return "keep-alive idle for \(keepAliveMs)ms"
        default:
            return nil
        }
    }

    /// Since when the connection waits for its client (nil while a request is handled): at
    /// capacity, the longest waiting is closed to make room.
    var waitingSince: Int64? { phase == .handling ? nil : since }
}
