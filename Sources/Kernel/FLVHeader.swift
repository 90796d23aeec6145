/// The FLV file header (E.4.1 of the FLV spec): what starts every FLV file and HTTP-FLV response.
public enum FLVHeader {
    /// The 9-byte header ("FLV", version 1, audio/video flags, header size 9) followed by
    /// PreviousTagSize0 (always 0): 13 bytes.
    public static func bytes(hasAudio: Bool, hasVideo: Bool) -> [UInt8] {
        let flags: UInt8 = (hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0)
        return [0x46, 0x4C, 0x56, 0x01, flags, 0, 0, 0, 9, 0, 0, 0, 0]
    }
}
