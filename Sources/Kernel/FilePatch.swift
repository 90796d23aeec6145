/// Bytes to write over a file at `offset`, after it was written sequentially: the fields a
/// recorder can only fill in when it closes the file (FLV duration and filesize, MP4 mdat size).
public struct FilePatch: Equatable, Sendable {
    /// From the start of the file.
    public var offset: UInt64
    public var bytes: [UInt8]

    public init(offset: UInt64, bytes: [UInt8]) {
        self.offset = offset
        self.bytes = bytes
    }
}
