/// Something that receives a live stream: an RTMP player, an HTTP-FLV player, the HLS muxer, an
/// edge forwarder. The source calls these on the loop thread.
public protocol LiveConsumer: AnyObject {
    /// A message of the stream, in order. Must not block: queue it, bounded.
    func deliver(_ message: MediaMessage)
    /// The publisher left (players may be told `NetStream.Play.UnpublishNotify`).
    func sourceUnpublished()
    /// A publisher (re)started the stream.
    func sourcePublished()
}

extension LiveConsumer {
    public func sourceUnpublished() {}
    public func sourcePublished() {}
}
