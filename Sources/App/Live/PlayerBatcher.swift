import Core
import System

/// The wire format and merged-write setting players of one source share (issue 18): players
/// with the same key get the same bytes at the same moments.
struct PlayerBatchKey: Hashable {
    enum Format: Hashable {
        /// RTMP chunks of this size (the server's, the same for every player of a vhost).
        case rtmp(chunkSize: Int)
        /// FLV tags framed as HTTP chunks.
        case flv
    }
    let format: Format
    let mwMsgs: Int
    let mwLatencyMs: Int

    func encode(_ m: MediaMessage) -> SharedBytes {
        switch format {
        case .rtmp(let size): return m.rtmp(chunkSize: size)
        case .flv: return m.flvChunk()
        }
    }
}

/// A batch of a source's messages, cut by `MergedWriteRule` for every player of one key. Its
/// bytes are joined into one buffer once, when the first player that is in step needs them.
final class PlayerBatch {
    let messages: [MediaMessage]
    /// The source's sequence number of `messages[0]` (the source numbers every message it gets).
    let firstSeq: UInt64
    var lastSeq: UInt64 { firstSeq + UInt64(messages.count) - 1 }
    let hasVideo: Bool
    let hasSequenceHeader: Bool
    /// The timestamp of the last audio/video message that is not a sequence header.
    let lastMediaTimestamp: UInt32?
    private let key: PlayerBatchKey
    private var joined: SharedBytes?

    init(messages: [MediaMessage], firstSeq: UInt64, key: PlayerBatchKey) {
        self.messages = messages
        self.firstSeq = firstSeq
        self.key = key
        hasVideo = messages.contains { $0.isVideo }
        hasSequenceHeader = messages.contains { $0.isSequenceHeader }
        lastMediaTimestamp = messages.last { !$0.isData && !$0.isSequenceHeader }?.timestamp
    }

    func encode(_ m: MediaMessage) -> SharedBytes { key.encode(m) }

    /// The whole batch as one buffer (a batch of one message: that message's own encoding).
    var bytes: SharedBytes {
        if let joined { return joined }
        if messages.count == 1 {
            let b = key.encode(messages[0])
            joined = b
            return b
        }
        let b = SharedBytes(joining: messages.lazy.map { self.key.encode($0) })
        joined = b
        return b
    }
}

/// Cuts a source's stream into batches for all its players of one `PlayerBatchKey`, by SRS's
/// merged-write rule, instead of each player deciding per message: a message costs the source
/// O(1) here, and a player O(1) per batch (one buffer, one `writev` entry) instead of a queue
/// entry, a rule check and a meter mark per message. With the defaults that is ~25 messages
/// (350 ms of a 30 fps + AAC stream) per player per write.
///
/// With `mw_msgs 0; mw_latency 0;` (write every message at once) the batch is what the source
/// got in one loop iteration, cut at its end: the players' writes would go out then anyway, and
/// a publisher's burst becomes one buffer per player instead of one per message.
///
/// A player joins in step with the source: it has had the cached start (GOP) up to the source's
/// newest message, so from the next batch it gets only what comes after (`PlayerOutput.syncedThrough`).
final class PlayerBatcher: LoopTask {
    let key: PlayerBatchKey
    private var rule: MergedWriteRule
    private var pending: [MediaMessage] = []
    private var pendingFirstSeq: UInt64 = 0
    /// The players (by their consumer's identity) and their outputs; `memberIndex` finds one.
    private var members: [(player: ObjectIdentifier, output: PlayerOutput)] = []
    private var memberIndex: [ObjectIdentifier: Int] = [:]
    private let loop: EventLoop
    private lazy var fallback = MergedWriteFallback(loop: loop, delayMs: rule.fallbackMs) { [unowned self] in cut() }
    /// Every message goes out in the loop iteration it came in (`mw_msgs 0; mw_latency 0;`).
    private let immediate: Bool
    private var cutScheduled = false

    init(key: PlayerBatchKey, loop: EventLoop) {
        self.key = key
        self.loop = loop
        rule = MergedWriteRule(minMessages: key.mwMsgs, latencyMs: key.mwLatencyMs)
        immediate = rule.minMessages == 0 && rule.latencyMs == 0
    }

    var isEmpty: Bool { members.isEmpty }
    var count: Int { members.count }

    /// `player` joins, `output` writes for it; it already has the source's messages up to `seq`.
    func add(_ player: ObjectIdentifier, output: PlayerOutput, syncedThrough seq: UInt64) {
        guard memberIndex[player] == nil else { return }
        output.syncedThrough = seq
        memberIndex[player] = members.count
        members.append((player, output))
    }

    func remove(_ player: ObjectIdentifier) {
        guard let i = memberIndex.removeValue(forKey: player) else { return }
        let last = members.count - 1
        if i != last {
            members[i] = members[last]
            memberIndex[members[i].player] = i
        }
        members.removeLast()
    }

    /// The source's message number `seq`.
    func onMessage(_ m: MediaMessage, seq: UInt64) {
        if pending.isEmpty { pendingFirstSeq = seq }
        pending.append(m)
        if immediate {
            if !cutScheduled {
                cutScheduled = true
                loop.runSoon(self)
            }
        } else if rule.queued(timestamp: m.timestamp, isAudioOrVideo: m.isAudio || m.isVideo) {
            cut()
        } else {
            fallback.waiting()
        }
    }

    func runLoopTask() {
        cutScheduled = false
        cut()
    }

    /// Hands what is pending to every member now (the rule said so, the fallback, the publisher
    /// left).
    func cut() {
        fallback.wrote()
        guard let last = pending.last else { return }
        rule.wrote(lastTimestamp: last.timestamp)
        let batch = PlayerBatch(messages: pending, firstSeq: pendingFirstSeq, key: key)
        pending.removeAll(keepingCapacity: true)
        // A batch of one iteration is cut at its end: nothing follows it in this iteration. The
        // rule may cut several in one (a burst read at once): those share one write.
        for m in members { m.output.deliver(batch, lastThisIteration: immediate) }
    }
}
