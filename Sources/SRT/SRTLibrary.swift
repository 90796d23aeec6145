import CSRT

/// libsrt's process-wide state: `srt_startup` once, before the first socket.
public enum SRTLibrary {
    /// Starts libsrt (idempotent: libsrt counts the calls).
    public static func start() {
        _ = srt_startup()
    }

    /// libsrt's version as `major.minor.patch`.
    public static var version: String {
        let v = srt_getversion()
        return "\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }
}
