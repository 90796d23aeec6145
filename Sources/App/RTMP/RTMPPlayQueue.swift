/// Bounds what a player may have queued but not yet sent: by media duration (`queue_length`
/// seconds) and by bytes. When a slow player exceeds either, its unsent queue is dropped and it
/// resumes at the next keyframe: memory never grows with a reader that stalls.
///
/// Offsets count every byte handed to the socket (`queued`) and every byte the socket wrote or
/// dropped (`done`); a message is out once `done` reaches its end offset.
struct PlayQueueMeter {
    private var marks: [(timestamp: UInt32, endOffset: UInt64)] = []
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
        marks.append((timestamp, endOffset))
        while head < marks.count && marks[head].endOffset <= done { head += 1 }
        if head > 512 {
            marks.removeSubrange(0..<head)
            head = 0
        }
        if pendingBytes > maxBytes { return true }
        guard head < marks.count else { return false }
        let oldest = marks[head].timestamp
        return timestamp > oldest && timestamp - oldest > maxDurationMs
    }

    /// Forgets every mark (after the unsent queue was dropped).
    mutating func reset() {
        marks.removeAll(keepingCapacity: true)
        head = 0
    }
}
