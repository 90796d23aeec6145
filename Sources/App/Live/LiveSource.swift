import Kernel
import Protocol
import System

/// A live stream (`vhost/app/stream`): at most one publisher, any number of consumers. Caches the
/// metadata, the sequence headers and the current GOP, so a player joining late starts at once
/// with the last keyframe. Fan-out appends the shared message to each consumer.
public final class LiveSource {
    public let key: StreamKey
    public var vhost: String { key.vhost }
    public var app: String { key.app }
    public var stream: String { key.stream }
    /// SRS's source id style: a stable id for the API.
    public let id: String

    /// The context id of the publishing connection, nil when not published.
    public private(set) var publisherCID: String?
    /// Who publishes: a client, or an ingester pulling from upstream (edge, relay), which must not
    /// trigger origin duties such as HLS.
    public private(set) var publisherKind = PublisherKind.client
    /// Called when the last consumer left (an edge stops pulling then).
    public var onLastConsumerLeft: (() -> Void)?
    public private(set) var metadata: MediaMessage?
    public private(set) var videoSequenceHeader: MediaMessage?
    public private(set) var audioSequenceHeader: MediaMessage?
    private var gop: [MediaMessage] = []
    private var gopBytes = 0
    /// Consumers that get every message through `deliver` (HLS, forwarders, relays, HTTP-TS/AAC/MP3
    /// players).
    private var consumers: [LiveConsumer] = []
    /// Players whose writes are batched with the others of their key (`PlayerBatcher`); they
    /// get the cached start through `deliver`, then batches.
    private var players: [ObjectIdentifier: LiveConsumer] = [:]
    private var batchers: [PlayerBatchKey: PlayerBatcher] = [:]
    private var batcherOf: [ObjectIdentifier: PlayerBatchKey] = [:]
    /// The number of the last message the source got (`PlayerBatcher` keeps players in step by it).
    private var seq: UInt64 = 0
    /// HTTP-TS/AAC/MP3: the stream's shared encoding, made by its first such player and
    /// dropped with its last (`remuxUsers`).
    private(set) var remux: LiveRemux?
    private var remuxUsers = 0
    public var gopCacheEnabled = true
    public var gopCacheMaxFrames = 2500
    /// Hard bound of the GOP cache in bytes (a stream that never sends a keyframe must not grow memory).
    public static let gopCacheMaxBytes = 64 * 1024 * 1024

    /// Monotonic ms when the source last had a publisher or a consumer (for cleanup of dead sources).
    public private(set) var lastActiveMs: Int64
    public private(set) var publishedAtMs: Int64 = 0
    public private(set) var frames: UInt64 = 0
    public private(set) var bytesIn: UInt64 = 0
    /// The publisher's tcUrl (for the API).
    public var tcUrl = ""
    /// Codec details parsed from the sequence headers (for the API).
    public private(set) var video: VideoCodecInfo?
    public private(set) var audio: AudioCodecInfo?
    var recvKbps = Kbps()
    var sendKbps = Kbps()

    init(key: StreamKey, now: Int64) {
        self.key = key
        self.id = StableID.make(key)
        self.lastActiveMs = now
    }

    public var isPublished: Bool { publisherCID != nil }
    public var consumerCount: Int { consumers.count + players.count }

    /// Claims the stream for a publisher. Fails if another publisher has it.
    public func publish(cid: String, now: Int64, kind: PublisherKind = .client) -> Bool {
        guard publisherCID == nil else { return false }
        publisherCID = cid
        publisherKind = kind
        publishedAtMs = now
        lastActiveMs = now
        metadata = nil
        videoSequenceHeader = nil
        audioSequenceHeader = nil
        video = nil
        audio = nil
        clearGOP()
        remux?.reset()
        for c in allConsumers { c.sourcePublished() }
        return true
    }

    /// Releases the stream; consumers stay attached and wait for the next publisher.
    public func unpublish(now: Int64) {
        guard publisherCID != nil else { return }
        publisherCID = nil
        lastActiveMs = now
        clearGOP()
        // The players get the stream's tail before they are told it ended.
        for b in batchers.values { b.cut() }
        for c in allConsumers { c.sourceUnpublished() }
    }

    private var allConsumers: [LiveConsumer] { consumers + Array(players.values) }

    /// A message from the publisher: cache it as needed and fan it out.
    public func onMessage(_ m: MediaMessage) {
        bytesIn += UInt64(m.payload.count)
        if m.isData {
            metadata = m
        } else if m.isSequenceHeader {
            if m.isVideo {
                videoSequenceHeader = m
                video = StreamCodecs.video(fromSequenceHeader: m.payload)
            } else {
                audioSequenceHeader = m
                audio = StreamCodecs.audio(fromSequenceHeader: m.payload)
            }
        } else {
            frames += 1
            cacheGOP(m)
        }
        seq += 1
        remux?.encode(m)
        for c in consumers { c.deliver(m) }
        for b in batchers.values { b.onMessage(m, seq: seq) }
    }

    /// The stream's encoding in `format` (not FLV), started now if it was not: the cached start
    /// of the stream (metadata, sequence headers, GOP) is encoded first, so a player joining
    /// late gets it like an FLV player does.
    /// Each call is matched by a `releaseRemux()`.
    func useRemux(_ format: LiveRemuxFormat) {
        guard format != .flv else { return }
        remuxUsers += 1
        guard remux?.format != format else { return }
        let r = LiveRemux(format: format)
        remux = r
        for m in [metadata, videoSequenceHeader, audioSequenceHeader].compactMap({ $0 }) + gop { r.encode(m, again: true) }
    }

    /// A player of the remux left; with the last one the stream stops encoding it.
    func releaseRemux() {
        remuxUsers = max(0, remuxUsers - 1)
        if remuxUsers == 0 { remux = nil }
    }

    /// Attaches a consumer and sends it the cached start of the stream.
    public func addConsumer(_ c: LiveConsumer, now: Int64) {
        consumers.append(c)
        lastActiveMs = now
        sendCachedStart(to: c)
    }

    /// Attaches a player whose writes `output` merges: it gets the cached start through
    /// `deliver`, then the batches of the players of its `key`.
    func addPlayer(_ c: LiveConsumer, output: PlayerOutput, key: PlayerBatchKey, now: Int64) {
        let id = ObjectIdentifier(c)
        guard players[id] == nil else { return }
        players[id] = c
        batcherOf[id] = key
        lastActiveMs = now
        sendCachedStart(to: c)
        let b = batchers[key] ?? PlayerBatcher(key: key, loop: output.loop)
        batchers[key] = b
        b.add(id, output: output, syncedThrough: seq)
    }

    private func sendCachedStart(to c: LiveConsumer) {
        if let m = metadata { c.deliver(m) }
        if let v = videoSequenceHeader { c.deliver(v) }
        if let a = audioSequenceHeader { c.deliver(a) }
        for m in gop { c.deliver(m) }
    }

    public func removeConsumer(_ c: LiveConsumer, now: Int64) {
        let before = consumerCount
        let id = ObjectIdentifier(c)
        if players.removeValue(forKey: id) != nil, let key = batcherOf.removeValue(forKey: id), let b = batchers[key] {
            b.remove(id)
            if b.isEmpty { batchers[key] = nil }
        } else {
            consumers.removeAll { $0 === c }
        }
        lastActiveMs = now
        if before > 0 && consumerCount == 0 { onLastConsumerLeft?() }
    }

    /// Drops the cached GOP (an ingester switched upstream: the old frames must not start a player).
    public func discardCachedGOP() { clearGOP() }

    /// True when nothing uses the source any more.
    public var isIdle: Bool { publisherCID == nil && consumerCount == 0 }

    private func cacheGOP(_ m: MediaMessage) {
        guard gopCacheEnabled else { return }
        if m.isVideo && m.isKeyframe { clearGOP() }
        // Until the first keyframe of a video stream there is nothing a player can start from.
        if gop.isEmpty && videoSequenceHeader != nil && !(m.isVideo && m.isKeyframe) { return }
        gop.append(m)
        gopBytes += m.payload.count
        if gop.count > gopCacheMaxFrames || gopBytes > Self.gopCacheMaxBytes { clearGOP() }
    }

    private func clearGOP() {
        gop.removeAll(keepingCapacity: true)
        gopBytes = 0
    }
}

/// Who publishes a `LiveSource`.
public enum PublisherKind: Sendable {
    /// A client connection (RTMP publish): the stream originates here.
    case client
    /// An ingester pulling the stream from an upstream server or a sibling worker.
    case ingester
}
