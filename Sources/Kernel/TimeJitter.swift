/// SRS's timestamp correction (`time_jitter full|zero|off`, `SrsRtmpJitter::correct` in
/// srs_app_source.cpp), applied by DVR to each file it writes (`dvr { time_jitter }`, default
/// `full`), one corrector per file.
///
/// - `full`: the first timestamp becomes (about) 0 and every step between consecutive audio and
///   video messages outside -250...250 ms (a publisher's clock jump, a wrap) is replaced by 10 ms;
///   other steps, small backward ones included, are kept. The result never goes below 0.
/// - `zero`: the first timestamp is subtracted from all (negative results become 0).
/// - `off`: timestamps are kept as they are.
///
/// Quirks kept from SRS for identical files: in `full` mode the reference starts at -1 ms and
/// the previous raw time at 0, so a first timestamp `t` in 1...250 becomes `t - 1` and a larger
/// one becomes 9.
public struct TimeJitter: Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case full, zero, off
    }

    /// SRS's CONST_MAX_JITTER_MS and DEFAULT_FRAME_TIME_MS.
    public static let maxStepMs: Int64 = 250
    public static let replacementStepMs: Int64 = 10

    public let mode: Mode
    private var lastCorrected: Int64 = -1
    private var lastRaw: Int64 = 0
    private var zeroBase: Int64?

    public init(mode: Mode) {
        self.mode = mode
    }

    /// The corrected time of one audio or video message of timestamp `raw` (milliseconds).
    public mutating func correct(_ raw: Int64) -> Int64 {
        switch mode {
        case .off:
            return raw
        case .zero:
            let base = zeroBase ?? raw
            zeroBase = base
            return max(0, raw - base)
        case .full:
            var delta = raw - lastRaw
            if delta < -Self.maxStepMs || delta > Self.maxStepMs { delta = Self.replacementStepMs }
            lastCorrected = max(0, lastCorrected + delta)
            lastRaw = raw
            return lastCorrected
        }
    }
}
