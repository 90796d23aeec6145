/// Records one published stream to FLV or MP4 files, as SRS's DVR (`srs_app_dvr.cpp`) does,
/// as a pure state machine: the stream's messages go in, `DVRAction`s (open, write, patch,
/// close and rename, notify) come out, for a thin adapter to perform on the worker that holds
/// the publisher.
///
/// - A file is opened at the stream's first audio or video message (not at publish time: a
///   publish that sends nothing leaves no file), named by `dvr_path` at that instant, and
///   starts with the latest metadata and sequence headers.
/// - `session` plan: one file until `finish()` (unpublish, quit, reload, upgrade).
/// - `segment` plan: once a file spans `dvr_duration`, the next video keyframe (any message
///   with `dvr_wait_keyframe off`, or in a stream without video) closes it and starts the next
///   one, which opens with the cached metadata and sequence headers again (SRS's
///   `on_dvr_request_sh`).
/// - Timestamps are corrected per file by `time_jitter` (default `full`: each file starts at 0).
/// - Writes are gathered into blocks of `writeBlockSize` (SRS's fwrite buffer size).
/// - An MP4 keeps its index in memory until it closes: past `maxMP4Samples` samples (about 16
///   hours of 25 fps video with AAC, some 70 MB of index) it is cut like a segment, whatever the
///   plan.
/// - `finish()` fills in the header fields, closes, renames and notifies; after an I/O error the
///   adapter calls `fileFailed(_:)`, and the recorder stops until `finish()` (SRS stops DVR
///   for the publish on an error).
public struct DVRRecorder {
    /// Bytes gathered before a `.write` (SRS_FWRITE_CACHE_SIZE).
    public static let writeBlockSize = 65536
    /// Samples an MP4 file holds before it is cut (its index stays in memory until it closes).
    public static let maxMP4Samples = 4_000_000
    /// `maxMP4Samples`, smaller in tests.
    var mp4SampleLimit = DVRRecorder.maxMP4Samples

    public let config: DVRConfig
    public let names: DVRPathTemplate.Names
    private let clock: () -> CalendarTime

    /// The file being written, if any.
    var file: OpenFile?
    /// An I/O error stopped recording until `finish()`.
    public private(set) var stopped = false
    /// The latest metadata and sequence headers, written at the start of every file.
    var metadata: [AMF0Property] = []
    var videoHeader: [UInt8]?
    var audioHeader: [UInt8]?
    /// The stream has sent video: with dvr_wait_keyframe, its files are cut at keyframes only
    /// (a stream without video is cut at any message).
    var hasVideo = false

    /// `clock` gives the wall-clock time a file starts at (local or UTC, as `utc_time` says).
    public init(config: DVRConfig, names: DVRPathTemplate.Names, clock: @escaping () -> CalendarTime) {
        self.config = config
        self.names = names
        self.clock = clock
    }

    /// The file being written (under its temporary name), if any.
    public var currentFile: DVRFile? { file?.name }

    // MARK: - Inputs

    /// An `onMetaData` data message (with or without `@setDataFrame`): kept for the next file.
    /// A file already started keeps the metadata it started with (SRS writes one per file).
    public mutating func metadata(_ payload: [UInt8]) -> [DVRAction] {
        guard let values = try? AMF0.decodeAll(payload) else { return [] }
        let object = values.first { $0.properties != nil }
        guard values.contains(where: { $0.stringValue == "onMetaData" }), let properties = object?.properties else { return [] }
        metadata = properties
        return []
    }

    /// An audio message of the stream.
    public mutating func audio(timestamp: UInt32, payload: [UInt8]) -> [DVRAction] {
        guard !stopped, let info = try? FLVAudioInfo.parse(payload) else { return [] }
        var actions: [DVRAction] = []
        let message = Message(isVideo: false, timestamp: timestamp, payload: payload, audio: info, video: nil)
        record(message, &actions)
        if info.isSequenceHeader { audioHeader = payload }
        return actions
    }

    /// A video message of the stream.
    public mutating func video(timestamp: UInt32, payload: [UInt8]) -> [DVRAction] {
        guard !stopped, let info = try? FLVVideoInfo.parse(payload) else { return [] }
        var actions: [DVRAction] = []
        hasVideo = true
        let message = Message(isVideo: true, timestamp: timestamp, payload: payload, audio: nil, video: info)
        record(message, &actions)
        if info.isSequenceHeader { videoHeader = payload }
        return actions
    }

    /// The stream ended, or DVR stops for it (unpublish, quit, reload, upgrade): finishes the
    /// file and forgets the stream's headers. Fed again, the recorder starts a new file.
    public mutating func finish() -> [DVRAction] {
        var actions: [DVRAction] = []
        closeFile(&actions)
        stopped = false
        metadata = []
        videoHeader = nil
        audioHeader = nil
        hasVideo = false
        return actions
    }

    /// For a recorder started while the stream is already published (a reload turned DVR on):
    /// the stream's metadata and sequence headers as its source keeps them. Nothing is written
    /// yet; the first file starts with them when the next audio or video message comes.
    public mutating func resume(metadata payload: [UInt8]?, videoHeader: [UInt8]?, audioHeader: [UInt8]?) {
        if let payload { _ = metadata(payload) }
        if let videoHeader, (try? FLVVideoInfo.parse(videoHeader))?.isSequenceHeader == true {
            self.videoHeader = videoHeader
            hasVideo = true
        }
        if let audioHeader, (try? FLVAudioInfo.parse(audioHeader))?.isSequenceHeader == true { self.audioHeader = audioHeader }
    }

    /// The adapter could not perform `failed` (and skipped the actions after it): the recorder
    /// stops until `finish()`. Returns what ends the file after an error: an FLV, append-only
    /// and playable up to its last whole tag, is closed, renamed and notified as SRS does (its
    /// header keeps duration 0); an MP4, whose index would describe bytes that may not be in the
    /// file, is abandoned under its temporary name. Nothing when the open itself failed, or
    /// the file was already being closed. The adapter performs these as far as it can, does
    /// not report their failures, and then closes any file it still has open.
    public mutating func fileFailed(_ failed: DVRAction) -> [DVRAction] {
        guard !stopped else { return [] }
        stopped = true
        guard let open = file else { return [] }
        file = nil
        if case .open = failed { return [] }
        guard open.flv != nil else { return [.abandon(open.name)] }
        let final = finalPath(open)
        return [.close(open.name, path: final), .notify(path: final)]
    }

    // MARK: - Files

    /// One audio or video message, parsed.
    struct Message {
        var isVideo: Bool
        var timestamp: UInt32
        var payload: [UInt8]
        var audio: FLVAudioInfo?
        var video: FLVVideoInfo?

        /// A video keyframe with a picture: not a sequence header, nor an end of sequence (which
        /// ffmpeg marks as a keyframe and would otherwise start a file of nothing).
        var isVideoKeyframe: Bool {
            guard let v = video, v.isKeyframe, !v.isSequenceHeader else { return false }
            return v.packetType == 1 || (v.isEnhanced && v.packetType == 3)
        }
        var isSequenceHeader: Bool { video?.isSequenceHeader ?? audio?.isSequenceHeader ?? false }
    }

    private mutating func record(_ message: Message, _ actions: inout [DVRAction]) {
        if let open = file, open.mp4SampleCount >= mp4SampleLimit || (config.plan == .segment && config.durationSeconds > 0
                                            && open.durationMs >= Int64(config.durationSeconds) * 1000),
           !config.waitKeyframe || message.isVideoKeyframe || !hasVideo {
            closeFile(&actions)
        }
        if file == nil { openFile(at: message.timestamp, &actions) }
        guard file != nil else { return }
        if write(message, &actions) == .restart {
            // An MP4 track cannot change its codec configuration: this message starts a new file.
            closeFile(&actions)
            openFile(at: message.timestamp, &actions)
            if file != nil { _ = write(message, &actions) }
        }
    }

    /// Opens a file for a message at `timestamp`, which its sequence headers share.
    private mutating func openFile(at timestamp: UInt32, _ actions: inout [DVRAction]) {
        let time = clock()
        let path: String
        do {
            path = try DVRPathTemplate.path(config.path, names: names, time: time)
        } catch {
            actions.append(.warning("dvr: refuse to record \(names.vhost)/\(names.app)/\(names.stream) "
                                    + "under \(config.path): \(error)"))
            stopped = true
            return
        }
        file = OpenFile(name: DVRFile(path: path), time: time, mp4: config.isMP4, jitter: config.timeJitter)
        actions.append(.open(file!.name))
        file!.start(metadata: metadata)
        // The new file starts with the stream's sequence headers, at the time of the message
        // that opens it. (SRS writes them at their original times, the publish's start: with
        // time_jitter off or zero its files would then span from there, and the segment plan
        // would cut every file at its first keyframe.)
        if let header = videoHeader {
            _ = write(Message(isVideo: true, timestamp: timestamp, payload: header, audio: nil,
                              video: try? FLVVideoInfo.parse(header)), &actions)
        }
        if let header = audioHeader {
            _ = write(Message(isVideo: false, timestamp: timestamp, payload: header,
                              audio: try? FLVAudioInfo.parse(header), video: nil), &actions)
        }
    }

    /// Writes into the open file in place (`file!`: a copy would copy its buffers and tables).
    private mutating func write(_ message: Message, _ actions: inout [DVRAction]) -> OpenFile.Result {
        guard file != nil else { return .written }
        let (result, warning) = file!.write(message, waitKeyframe: config.waitKeyframe)
        if let warning { actions.append(.warning("dvr: \(names.vhost)/\(names.app)/\(names.stream): \(warning)")) }
        file!.flush(into: &actions, ifAtLeast: Self.writeBlockSize)
        return result
    }

    private mutating func closeFile(_ actions: inout [DVRAction]) {
        guard var open = file else { return }
        file = nil
        guard let patches = open.finish() else {
            actions.append(.discard(open.name))
            return
        }
        open.flush(into: &actions, ifAtLeast: 0)
        actions += patches.map(DVRAction.patch)
        let final = finalPath(open)
        actions.append(.close(open.name, path: final))
        actions.append(.notify(path: final))
    }

    /// The file's name with `[duration]` filled in.
    private func finalPath(_ open: OpenFile) -> String {
        (try? DVRPathTemplate.path(config.path, names: names, time: open.time, durationMs: open.durationMs)) ?? open.name.path
    }
}
