import Kernel

/// What an `RTMPSession` tells its owner, one event per `nextEvent()` call.
public enum RTMPSessionEvent: Equatable, Sendable {
    /// The handshake completed; `complex` when the peer signed its packet (digest form).
    case handshakeDone(complex: Bool)
    /// An audio or video message. An aggregate message comes as its parts, one by one.
    case media(RTMPMessage)
    /// A data message (`@setDataFrame`, `onMetaData`, `|RtmpSampleAccess`), AMF0 or AMF3.
    case data(RTMPMessage)

    // MARK: Server role

    /// The client's `connect` (its tcUrl is present). Later messages wait until the owner calls
    /// `acceptConnect` or `rejectConnect`.
    case connect(RTMPCommand)
    /// `publish` of a stream name (with its `?params`), on a connected, idle session. Later
    /// messages wait until the owner calls `acceptPublish` or `rejectStream`.
    case publish(stream: String)
    /// `play` of a stream name, as `publish`; answered by `acceptPlay` or `rejectStream`.
    case play(stream: String)
    /// `FCUnpublish` of the stream being published; the session answered it, as SRS does.
    case unpublish
    /// `deleteStream` or `closeStream`: the client is done with its stream.
    case deleteStream

    // MARK: Client role

    /// The server accepted `connect` (with `.connectOnly`, the session is then done).
    case connected
    /// `createStream` answered with this stream id; `play` or `publish` was just sent.
    case streamCreated(UInt32)
    /// `NetStream.Play.Start` (play) or `NetStream.Publish.Start` (publish).
    case started
    /// Any other `onStatus` of level status (`NetStream.Play.Reset`, `...UnpublishNotify`).
    case status(code: String, description: String)
    /// SRS's "RTMP 302": the server sends us to this URL. The session has ended.
    case redirected(url: String)
    /// `_error`, or an `onStatus` of level error, or a failed `connect`. The session has ended.
    case rejected(code: String, description: String)
    /// The server asked us to close (`close` command). The session has ended.
    case closeRequested
}
