/// When a player's media messages arrived inside the measured window, against their RTMP
/// timestamps: shows what merged writes (`mw_msgs`/`mw_latency`) add to delivery.
///
/// - **Delay** of a message: (arrival − timestamp) minus the smallest (arrival − timestamp) of
///   that player's window, i.e. how much later than its most promptly delivered message it came.
///   The publisher sends in real time (`ffmpeg -re`), so with writes at once this stays within a
///   few ms; a server that holds messages to merge them shows its holding time here. Per player,
///   because servers rebase timestamps per player.
/// - **Gap**: time between two media arrivals (0 inside one read). The largest gap per player
///   is what a viewer's buffer must cover.
struct MessageTiming {
    /// (arrival µs − timestamp ms × 1000) of each message, relative to the first one recorded.
    private(set) var offsetsUs: [Int32] = []
    /// Arrival gaps in µs, from the second recorded message on.
    private(set) var gapsUs: [Int32] = []
    private(set) var maxGapUs: Int64 = 0
    private var firstOffsetUs: Int64?
    private var lastArrivalUs: Int64?
    /// Timestamps are 32-bit ms and wrap: extended to 64 bits here.
    private var lastTimestamp: UInt32 = 0
    private var timestampEpoch: Int64 = 0
    private var sawTimestamp = false

    /// Records one media message with RTMP timestamp `timestamp` that arrived at `arrivalUs`.
    mutating func record(arrivalUs: Int64, timestamp: UInt32) {
        if sawTimestamp && timestamp < lastTimestamp && lastTimestamp - timestamp > 1 << 31 {
            timestampEpoch += 1 << 32
        }
        sawTimestamp = true
        lastTimestamp = timestamp
        let offset = arrivalUs - (timestampEpoch + Int64(timestamp)) * 1000
        let first = firstOffsetUs ?? offset
        firstOffsetUs = first
        offsetsUs.append(Int32(clamping: offset - first))
        if let last = lastArrivalUs {
            let gap = arrivalUs - last
            gapsUs.append(Int32(clamping: gap))
            maxGapUs = max(maxGapUs, gap)
        }
        lastArrivalUs = arrivalUs
    }

    /// Each recorded message's delay in µs (see the type's comment).
    var delaysUs: [Int32] {
        guard let base = offsetsUs.min() else { return [] }
        return offsetsUs.map { $0 - base }
    }
}

/// Percentiles of the players' message timing over the window, in ms.
struct TimingSummary {
    /// Delay of every message of every player.
    let delayMs: [Double]
    /// Every arrival gap of every player.
    let gapMs: [Double]
    /// The largest gap of each player.
    let playerMaxGapMs: [Double]

    init(_ timings: [MessageTiming]) {
        var delays: [Int32] = []
        var gaps: [Int32] = []
        delays.reserveCapacity(timings.reduce(0) { $0 + $1.offsetsUs.count })
        gaps.reserveCapacity(timings.reduce(0) { $0 + $1.gapsUs.count })
        for t in timings {
            delays.append(contentsOf: t.delaysUs)
            gaps.append(contentsOf: t.gapsUs)
        }
        delayMs = delays.sorted().map { Double($0) / 1000 }
        gapMs = gaps.sorted().map { Double($0) / 1000 }
        playerMaxGapMs = timings.filter { !$0.gapsUs.isEmpty }.map { Double($0.maxGapUs) / 1000 }.sorted()
    }
}
