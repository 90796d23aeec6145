/// `exec { enabled; publish ./program args...; }`: programs run while a stream is published
/// (SRS's `SrsNgExec`), by the worker that holds the publisher.
public struct ExecConfig: Equatable, Sendable {
    /// Default off.
    public var enabled = false
    /// Each `publish` directive's arguments (program first), templates as written.
    public var publishes: [[String]] = []

    public init() {}
}
