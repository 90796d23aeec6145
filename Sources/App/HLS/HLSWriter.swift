import Core
import Kernel
import Protocol
import System

/// Writes one live stream as HLS: MPEG-TS segments cut at keyframes every `hls_fragment` seconds
/// and a sliding-window m3u8. A segment grows on disk under its temp name (`<name>.tmp`, as SRS)
/// in pieces of `pieceBytes`, so a stream holds at most a piece in memory, not a whole segment;
/// it is renamed when cut, and the playlist is written atomically (temp file + rename): a reader
/// on the same volume (nginx) never sees a partial file. Survives republish (sequence continues, with a
/// discontinuity) and removes its files `hls_dispose` seconds after the stream ends.
///
/// A failed write (disk full...) never reaches the stream's other consumers: the segment is
/// dropped, the playlist keeps only segments that were written, and the writer goes on by itself
/// when the disk takes writes again, the first segment after the gap marked as a discontinuity.
/// Each episode is logged when it starts and when it ends (see `HLSWriteFault`).
final class HLSWriter: LiveConsumer {
    let key: StreamKey
    private(set) var config: HLSConfig
    private let loop: EventLoop
    private let storage: HLSStorage

    private var muxer: TSMuxer?
    private var avc: AVCDecoderConfig?
    private var aac: AACAudioConfig?
    /// The audio track as known so far: AAC once its sequence header came, MP3 once a frame came.
    private var audioCodec: TSMuxer.AudioCodec?
    private var warnedAudioCodec = false
    private var hasVideoTrack = false
    /// Bytes of the open segment not yet appended to its temp file.
    private var segment: [UInt8] = []
    /// The open segment's file: its names and how its writing goes.
    private var file: SegmentFile?
    /// Bytes of the stream this writer holds in memory (what waits for the next piece).
    var bufferedBytes: Int { segment.count }
    private var segmentStartMs: Int64?
    private var segmentLastMs: Int64 = 0
    private var nextSequence = 0
    private var window = HLSWindow(windowSeconds: 60)
    private var discontinuity = true
    private var disposeTimer: TimerID?
    private var warnedCodec = false
    private var fault = HLSWriteFault()
    /// Failed writes of segments and playlists since this writer started.
    private(set) var writeErrors: UInt64 = 0
    /// Called on each failed write (the server's total for the API).
    var onWriteError: (() -> Void)?
    /// Called after hls_dispose removed the files (the owner forgets this writer).
    var onDisposed: (() -> Void)?
    /// Called for each segment written and listed (on_hls).
    var onSegment: ((HLSWrittenSegment) -> Void)?
    /// A segment that never sees a keyframe is cut anyway past this many bytes.
    static let maxSegmentBytes = 64 * 1024 * 1024
    /// A segment's bytes go to its temp file whenever this many wait (HLS's memory per stream).
    static let pieceBytes = 32 * 1024

    /// The file of the segment being written.
    private struct SegmentFile {
        let sequence: Int
        /// When the segment opened: its name's date and `[timestamp]` (as SRS: at open).
        let openedMs: Int64
        let opened: Clock.LocalTime
        /// `<name>.tmp` under hls_path; nil when the name was refused (nothing is written).
        let tmpPath: String?
        var bytes = 0
        var appended = 0
        /// The first failed write; the rest of the segment is dropped.
        var failure: Error?
    }

    init(key: StreamKey, config: HLSConfig, loop: EventLoop, storage: HLSStorage = .disk) {
        self.key = key
        self.config = config
        self.loop = loop
        self.storage = storage
        window = HLSWindow(windowSeconds: config.window)
    }

    // MARK: - LiveConsumer

    func sourcePublished() {
        if let t = disposeTimer { loop.cancel(t) }
        disposeTimer = nil
        reset()
        discontinuity = true
    }

    func sourceUnpublished() {
        closeSegment()
        reset()
        guard config.dispose > 0 else { return }
        disposeTimer = loop.schedule(afterMs: Int64(config.dispose * 1000)) { [weak self] in self?.dispose() }
    }

    func deliver(_ m: MediaMessage) {
        if m.isVideo {
            onVideo(m)
        } else if m.isAudio {
            onAudio(m)
        }
    }

    // MARK: - Media

    private func reset() {
        muxer = nil
        avc = nil
        aac = nil
        audioCodec = nil
        hasVideoTrack = false
        segment = []
        segmentStartMs = nil
        if let tmp = file?.tmpPath { storage.remove(tmp) }
        file = nil
    }

    private func onVideo(_ m: MediaMessage) {
        guard let info = try? FLVVideoInfo.parse(m.payload) else { return }
        guard info.codecID == 7 else {
            if !warnedCodec { Log.warn("hls: \(key) video codec \(info.codecID) is not H.264, skipped") }
            warnedCodec = true
            return
        }
        if info.isSequenceHeader {
            avc = try? AVCDecoderConfig.parse(m.payload[info.payloadOffset...])
            hasVideoTrack = true
            return
        }
        guard let avc else { return }
        let dts = Int64(m.timestamp)
        if info.isKeyframe { maybeCut(at: dts, after: config.fragment) }
        // With hls_wait_keyframe a segment starts at a keyframe, so players can start on it.
        if segmentStartMs == nil && config.waitKeyframe && !info.isKeyframe { return }
        guard let annexB = try? AnnexB.fromAVCC(payload: m.payload[info.payloadOffset...], nalLengthSize: avc.nalLengthSize,
                                                 config: avc, keyframe: info.isKeyframe) else { return }
        openSegmentIfNeeded(at: dts)
        let pts = dts + Int64(info.compositionTime)
        add { $0.writeVideo(dts: dts, pts: pts, keyframe: info.isKeyframe, annexB: annexB, into: &$1) }
        segmentLastMs = max(segmentLastMs, dts)
        if (file?.bytes ?? 0) > Self.maxSegmentBytes { closeSegment() }
    }

    private func onAudio(_ m: MediaMessage) {
        guard let info = try? FLVAudioInfo.parse(m.payload), info.payloadOffset <= m.payload.count else { return }
        let raw = m.payload[info.payloadOffset...]
        // AAC (ADTS, stream_type 0x0F) or MP3 (MPEG audio, 0x03/0x04), as SRS's HLS.
        let codec: TSMuxer.AudioCodec
        // The frame goes into the segment as it is, after `prefix` (AAC's ADTS header).
        let prefix: [UInt8]
        switch info.soundFormat {
        case FLVAudioInfo.formatAAC:
            if info.isSequenceHeader {
                aac = try? AACAudioConfig.parse(raw)
                if aac != nil { audioCodec = .aac }
                return
            }
            // ADTS cannot describe a longer frame; such a frame is not valid AAC anyway.
            guard let aac, !raw.isEmpty, raw.count <= AACAudioConfig.maxADTSPayloadLength else { return }
            codec = .aac
            prefix = aac.adtsHeader(payloadLength: raw.count)
        case FLVAudioInfo.formatMP3:
            guard let header = try? MP3FrameHeader.parse(raw) else { return }
            codec = TSMuxer.AudioCodec(mp3: header)
            prefix = []
        default:
            if !warnedAudioCodec { Log.warn("hls: \(key) audio codec \(info.soundFormat) is neither AAC nor MP3, skipped") }
            warnedAudioCodec = true
            return
        }
        audioCodec = codec
        let pts = Int64(m.timestamp)
        // Audio-only streams cut on time alone; with video, audio waits for the first keyframe.
        // Pure audio has no keyframes: SRS cuts it at hls_fragment * hls_aof_ratio.
        if !hasVideoTrack { maybeCut(at: pts, after: config.fragment * config.aofRatio) }
        if segmentStartMs == nil && hasVideoTrack { return }
        openSegmentIfNeeded(at: pts)
        // Audio whose track came after this segment started waits for the next segment's PMT.
        guard muxer?.audio == codec else { return }
        add { $0.writeAudio(pts: pts, prefix: prefix, frames: raw, into: &$1) }
        segmentLastMs = max(segmentLastMs, pts)
    }

    private func maybeCut(at ms: Int64, after seconds: Double) {
        guard let start = segmentStartMs else { return }
        if Double(ms - start) >= seconds * 1000 { closeSegment() }
    }

    private func openSegmentIfNeeded(at ms: Int64) {
        guard segmentStartMs == nil else { return }
        // A new muxer when the tracks changed (an AAC header that came after the first keyframe):
        // the PMT of every segment must list the tracks it carries.
        if muxer == nil || muxer?.hasVideo != hasVideoTrack || muxer?.audio != audioCodec {
            muxer = TSMuxer(hasVideo: hasVideoTrack, audio: audioCodec)
        }
        segmentStartMs = ms
        segmentLastMs = ms
        let now = Clock.wallMs()
        let opened = Clock.localTime(now)
        let tmp = HLSPathTemplate.file(root: config.path, tsRelative(sequence: nextSequence, openedMs: now, opened: opened, duration: 0))
        file = SegmentFile(sequence: nextSequence, openedMs: now, opened: opened, tmpPath: tmp.map { $0 + ".tmp" })
        segment.removeAll(keepingCapacity: true)
        add(muxer!.header())
    }

    private func tsRelative(sequence: Int, openedMs: Int64, opened t: Clock.LocalTime, duration: Double) -> String {
        HLSPathTemplate.render(template: config.tsFile, vhost: key.vhost, app: key.app, stream: key.stream, seq: sequence,
                               timestampMs: openedMs, year: t.year, month: t.month, day: t.day,
                               hour: t.hour, minute: t.minute, second: t.second, millisecond: t.millisecond,
                               duration: duration)
    }

    /// Bytes of the open segment: kept until a piece is full, then appended to its temp file.
    private func add(_ bytes: [UInt8]) {
        segment += bytes
        file?.bytes += bytes.count
        if segment.count >= Self.pieceBytes { writePiece() }
    }

    /// Lets the open segment's muxer append a frame's packets to the piece being built.
    private func add(_ write: (inout TSMuxer, inout [UInt8]) -> Void) {
        guard muxer != nil else { return }
        let before = segment.count
        write(&muxer!, &segment)
        file?.bytes += segment.count - before
        if segment.count >= Self.pieceBytes { writePiece() }
    }

    /// Appends what waits to the segment's temp file (the first piece replaces a file left over
    /// by a crash). After a failure the segment's bytes are dropped and its temp file removed.
    private func writePiece() {
        defer {
            // A piece larger than usual (a big keyframe) does not keep its memory.
            segment.removeAll(keepingCapacity: segment.capacity <= 2 * Self.pieceBytes)
        }
        guard var f = file, let tmp = f.tmpPath, f.failure == nil, !segment.isEmpty else { return }
        do {
            if f.appended == 0 {
                storage.remove(tmp)
                try storage.makeDirectories(FileSystem.dirname(tmp))
            }
            try storage.append(tmp, segment)
            f.appended += segment.count
        } catch {
            f.failure = error
            storage.remove(tmp)
        }
        file = f
    }

    // MARK: - Files

    private func closeSegment() {
        guard let start = segmentStartMs else { return }
        segmentStartMs = nil
        writePiece()
        guard let f = file else { return }
        file = nil
        let duration = Double(max(0, segmentLastMs - start)) / 1000
        let seq = f.sequence
        let tsRelative = tsRelative(sequence: seq, openedMs: f.openedMs, opened: f.opened, duration: duration)
        guard let tmpPath = f.tmpPath, let tsPath = HLSPathTemplate.file(root: config.path, tsRelative) else { return }
        do {
            if let failure = f.failure { throw failure }
            if FileSystem.dirname(tsPath) != FileSystem.dirname(tmpPath) { try storage.makeDirectories(FileSystem.dirname(tsPath)) }
            try storage.rename(tmpPath, tsPath)
        } catch {
            // The segment is lost. Its sequence number goes to the next one (a playlist numbers
            // its segments without gaps), which is a discontinuity: its timestamps jump.
            storage.remove(tmpPath)
            writeFailed(tsPath, error, segmentMissed: true)
            discontinuity = true
            return
        }
        nextSequence += 1
        let uri = config.entryPrefix + relative(tsRelative, toDirectoryOf: m3u8Relative)
        let removed = window.append(M3U8Segment(uri: uri, duration: duration, discontinuity: discontinuity, sequence: seq),
                                    file: tsPath)
        discontinuity = false
        if config.cleanup { for f in removed { FileSystem.remove(f) } }
        let listed = writePlaylist()
        Log.info("hls: segment \(tsPath) seq=\(seq) duration=\(duration)s")
        onSegment?(HLSWrittenSegment(path: tsPath, uri: uri, playlistPath: playlistPath ?? "", playlistURL: m3u8Relative,
                                     sequence: seq, durationMs: max(0, segmentLastMs - start)))
        if listed, let s = fault.succeeded(nowMs: loop.now) {
            Log.trace("hls: \(key) writes again after \(M3U8.formatSeconds(Double(s.durationMs) / 1000)) s: "
                      + "failed writes=\(s.failures), missed segments=\(s.missedSegments)"
                      + (s.missedSegments > 0 ? ", the playlist marks the gap with a discontinuity" : ""))
        }
    }

    /// Counts a failed write; logs it only when it starts a fault episode.
    private func writeFailed(_ path: String, _ error: Error, segmentMissed: Bool) {
        writeErrors += 1
        onWriteError?()
        guard fault.failed(segmentMissed: segmentMissed, nowMs: loop.now) else { return }
        Log.warn("hls: write \(path) failed: \(error); \(key) "
                 + (segmentMissed ? "drops its segments" : "keeps its old playlist")
                 + " until a write succeeds (further failures are counted, not logged)")
    }

    private var m3u8Relative: String {
        HLSPathTemplate.render(template: config.m3u8File, vhost: key.vhost, app: key.app, stream: key.stream, seq: 0, timestampMs: 0,
                               year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, millisecond: 0, duration: 0)
    }

    var playlistPath: String? { HLSPathTemplate.file(root: config.path, m3u8Relative) }

    /// Writes the playlist of the window; false if it failed (the old one stays, and the next
    /// segment writes it again) or its path was refused (logged where it was).
    private func writePlaylist() -> Bool {
        guard let playlistPath else { return false }
        let text = M3U8.mediaPlaylist(segments: window.segments, targetDuration: Int((config.fragment * config.tdRatio).rounded(.up)),
                                      mediaSequence: window.segments.first?.sequence ?? 0)
        do {
            try storage.makeDirectories(FileSystem.dirname(playlistPath))
            try storage.writeAtomically(playlistPath, Array(text.utf8))
            return true
        } catch {
            writeFailed(playlistPath, error, segmentMissed: false)
            return false
        }
    }

    /// hls_dispose: the stream stayed unpublished; remove its playlist and segments.
    private func dispose() {
        disposeTimer = nil
        Log.traceClient("hls: dispose", "hls: dispose \(key): remove \(window.files.count) segments and \(playlistPath ?? "no playlist")")
        for f in window.files { FileSystem.remove(f) }
        if let playlistPath { FileSystem.remove(playlistPath) }
        window = HLSWindow(windowSeconds: config.window)
        discontinuity = true
        onDisposed?()
    }

    /// `live/s-1.ts` relative to the directory of `live/s.m3u8` → `s-1.ts`.
    private func relative(_ path: String, toDirectoryOf playlist: String) -> String {
        let dir = FileSystem.dirname(playlist)
        if dir == "." { return path }
        return path.hasPrefix(dir + "/") ? String(path.dropFirst(dir.count + 1)) : path
    }

    /// Stops using this writer (vhost reconfigured or server quitting): flush what we have.
    func flush() { closeSegment() }

    /// A reload changed the hls settings: the segment in progress is finished under the old ones
    /// and the stream goes on under the new ones, marked by a discontinuity. When the files move
    /// (hls_path or the name templates changed) the old ones are removed at once.
    func update(config new: HLSConfig) {
        guard new != config else { return }
        closeSegment()
        if new.path != config.path || new.m3u8File != config.m3u8File || new.tsFile != config.tsFile {
            for f in window.files { FileSystem.remove(f) }
            if let playlistPath { FileSystem.remove(playlistPath) }
            window = HLSWindow(windowSeconds: new.window)
        } else {
            window.windowSeconds = new.window
        }
        config = new
        discontinuity = true
    }
}
