/// Bounds what a player may have queued but not yet sent: by media duration (`queue_length`
/// seconds) and by bytes. When a slow player exceeds either, its unsent queue is dropped and it
/// resumes at the next keyframe: memory never grows with a reader that stalls.
///
/// Offsets count every byte handed to the socket (`queued`) and every byte the socket wrote or
/// dropped (`done`); a message is out once `done` reaches its end offset.
struct PlayQueueMeter {
    typealias Mark = (timestamp: UInt32, endOffset: UInt64)
    /// The oldest message not yet out, and those queued after it. A player in step (each batch
    /// written before the next) only ever has `oldest`: no array work per message.
    private var oldest: Mark?
    private var later: [Mark] = []
    private var head = 0
    let maxDurationMs: UInt32
    let maxBytes: Int

    /// The bytes bound of every player's queue.
    static let defaultMaxBytes = 16 * 1024 * 1024

    init(queueLengthSeconds: Double, maxBytes: Int = defaultMaxBytes) {
        maxDurationMs = UInt32(max(1, queueLengthSeconds) * 1000)
        self.maxBytes = maxBytes
    }

    /// Records a media message queued up to byte offset `endOffset`, then tells whether the unsent
    /// part of the queue is over its bounds.
    mutating func record(timestamp: UInt32, endOffset: UInt64, done: UInt64, pendingBytes: Int) -> Bool {
        if let o = oldest, o.endOffset <= done {
            oldest = nil
            while head < later.count {
                let m = later[head]
                head += 1
                if m.endOffset > done { oldest = m; break }
            }
            if head == later.count, head > 0 {
                later.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 512 {
                later.removeSubrange(0..<head)
                head = 0
            }
        }
        let mark: Mark = (timestamp, endOffset)
        guard let o = oldest else {
            oldest = mark
            return pendingBytes > maxBytes
        }
        later.append(mark)
        if pendingBytes > maxBytes { return true }
        return timestamp > o.timestamp && timestamp - o.timestamp > maxDurationMs
    }

    /// Forgets every mark (after the unsent queue was dropped).
    mutating func reset() {
        oldest = nil
        later.removeAll(keepingCapacity: true)
        head = 0
    }
}
