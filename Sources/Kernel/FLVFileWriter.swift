/// Writes an FLV file (a DVR recording) append-only, as SRS's DVR does: a crash leaves a file
/// every FLV reader plays, only its metadata saying duration 0.
///
/// The file is the FLV header (audio and video flags set, as SRS), an `onMetaData` tag at
/// time 0, then the tags in the order given. The metadata is the publisher's, without its
/// `duration` and `filesize`, which are appended as the last two properties with value 0;
/// `finish()` returns the patches that rewrite those two 8-byte numbers in place (SRS's
/// `SrsDvrFlvSegmenter::refresh_metadata`).
public struct FLVFileWriter: Sendable {
    /// Bytes produced so far (the file's size once they are all written).
    public private(set) var bytesWritten: UInt64 = 0
    /// Where the 8-byte values of `filesize` and `duration` are; nil before `start`.
    private var fileSizeOffset: UInt64?
    private var durationOffset: UInt64?
    private var clock = FLVDurationClock()

    public init() {}

    /// The header and the metadata tag: what the file starts with. `metadata` are the
    /// publisher's `onMetaData` properties (empty when it sent none).
    public mutating func start(metadata: [AMF0Property]) -> [UInt8] {
        var body = Self.metadataBody(metadata)
        // Only a hostile publisher sends metadata past FLV's 24-bit tag size: keep none of it.
        if body.count > FLVTagWriter.maxPayloadSize { body = Self.metadataBody([]) }
        var out = FLVHeader.bytes(hasAudio: true, hasVideo: true)
        // The ECMA array ends with the "duration" number (marker + 8 bytes) and the end marker
        // 00 00 09; before them are the key "duration" (2 + 8 bytes) and filesize's number.
        let durationValue = UInt64(out.count) + 11 + UInt64(body.count) - 3 - 8
        durationOffset = durationValue
        fileSizeOffset = durationValue - 1 - 10 - 8
        out += (try? FLVTagWriter.tag(type: FLVTagType.script, timestamp: 0, payload: body)) ?? []
        bytesWritten += UInt64(out.count)
        return out
    }

    /// "onMetaData" and an ECMA array of `metadata` without duration and filesize, then
    /// filesize 0 and duration 0.
    private static func metadataBody(_ metadata: [AMF0Property]) -> [UInt8] {
        var props = metadata.filter { $0.key != "duration" && $0.key != "filesize" }
        props.append(AMF0Property("filesize", .number(0)))
        props.append(AMF0Property("duration", .number(0)))
        var body = ByteWriter(capacity: 256)
        AMF0.encode(.string("onMetaData"), into: &body)
        AMF0.encode(.ecmaArray(props), into: &body)
        return body.bytes
    }

    /// One audio, video or script tag at `timestamp` milliseconds (wrapped to 32 bits, as FLV
    /// stores them). Throws `KernelError.invalid` when the payload exceeds FLV's 24-bit size.
    public mutating func tag(type: UInt8, timestamp: Int64, payload: ArraySlice<UInt8>) throws -> [UInt8] {
        let bytes = try FLVTagWriter.tag(type: type, timestamp: UInt32(truncatingIfNeeded: timestamp), payload: payload)
        if type == FLVTagType.audio || type == FLVTagType.video { clock.add(timestamp, video: type == FLVTagType.video) }
        bytesWritten += UInt64(bytes.count)
        return bytes
    }

    /// Milliseconds from the first audio/video tag to the end of the last one (its time plus
    /// the step before it on its track).
    public var durationMs: Int64 { clock.durationMs }

    /// The rewrites of `filesize` (bytes written) and `duration` (seconds) in the metadata.
    public func finish() -> [FilePatch] {
        guard let fileSizeOffset, let durationOffset else { return [] }
        return [FilePatch(offset: fileSizeOffset, bytes: Self.double(Double(bytesWritten))),
                FilePatch(offset: durationOffset, bytes: Self.double(Double(durationMs) / 1000))]
    }

    private static func double(_ v: Double) -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.f64(v)
        return w.bytes
    }
}

/// The time span of a recording: from its earliest audio/video timestamp to the latest end,
/// an end being a track's last timestamp plus its last step (a frame's duration, estimated).
struct FLVDurationClock: Sendable {
    private var start: Int64?
    private var end: Int64 = 0
    private var last: [Int64?] = [nil, nil]
    private var step: [Int64] = [0, 0]

    mutating func add(_ ms: Int64, video: Bool) {
        let track = video ? 1 : 0
        if let previous = last[track], ms > previous { step[track] = ms - previous }
        last[track] = max(last[track] ?? ms, ms)
        start = min(start ?? ms, ms)
        end = max(end, (last[track] ?? ms) + step[track])
    }

    var durationMs: Int64 {
        guard let start else { return 0 }
        return max(0, end - start)
    }
}
