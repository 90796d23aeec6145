/// One media segment of an HLS playlist.
public struct M3U8Segment: Equatable, Sendable {
    /// Where the segment is, relative to the playlist or absolute.
    public var uri: String
    /// Duration in seconds (EXTINF).
    public var duration: Double
    /// An EXT-X-DISCONTINUITY precedes this segment (encoder restart, republish).
    public var discontinuity: Bool
    /// Media sequence number of the segment.
    public var sequence: Int

    public init(uri: String, duration: Double, discontinuity: Bool, sequence: Int) {
        self.uri = uri
        self.duration = duration
        self.discontinuity = discontinuity
        self.sequence = sequence
    }
}
