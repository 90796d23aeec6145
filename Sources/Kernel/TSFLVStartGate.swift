/// Orders the start of a stream converted from MPEG-TS the way an RTMP publisher sends it: both
/// sequence headers before the first frame. In a transport stream the first video keyframe (and
/// its SPS/PPS) often completes before the first audio PES does, so the AVC header and keyframe
/// would reach the live source before anyone knew of the audio track; HLS would then start a
/// segment (and a player its decoder) without audio. The gate holds the first frames until every
/// track the program announced has its sequence header, or `maxHoldMs` of media (or
/// `maxHeldFrames`) went by, then lets them out: headers first, then the frames in order.
public struct TSFLVStartGate: Sendable {
    public typealias Frame = TSFLVConverter.Frame

    /// The longest a track that never sends anything can hold the stream back (media time).
    public static let maxHoldMs: Int64 = 1000
    public static let maxHeldFrames = 500

    private var held: [Frame] = []
    /// True once the start went out: every frame passes straight through.
    public private(set) var isOpen = false

    public init() {}

    /// Takes `frame`; returns what may go out now. `expectsVideo` and `expectsAudio` say which
    /// tracks the program announced (the converter's selected streams).
    public mutating func pass(_ frame: Frame, expectsVideo: Bool, expectsAudio: Bool) -> [Frame] {
        if isOpen { return [frame] }
        held.append(frame)
        let videoReady = !expectsVideo || held.contains { $0.type == FLVTagType.video && $0.isSequenceHeader }
        let audioReady = !expectsAudio || held.contains { $0.type == FLVTagType.audio && $0.isSequenceHeader }
        let first = held.first { !$0.isSequenceHeader }?.timestamp
        let spanMs = first.map { Int64(frame.timestamp) - Int64($0) } ?? 0
        guard (videoReady && audioReady) || spanMs >= Self.maxHoldMs || held.count >= Self.maxHeldFrames else { return [] }
        return release()
    }

    /// Lets out what is held (the publisher left before the start was complete).
    public mutating func release() -> [Frame] {
        isOpen = true
        let out = held.filter(\.isSequenceHeader) + held.filter { !$0.isSequenceHeader }
        held = []
        return out
    }
}
