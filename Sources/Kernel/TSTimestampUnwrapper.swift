/// Turns 33-bit MPEG-TS timestamps (90 kHz, wrapping every 26.5 hours) into a continuous count
/// of ticks: each value is placed in the 2^33 period that puts it nearest to the previous one,
/// so a wrap moves on and a value slightly behind (a B-frame, an audio PES) stays behind. One
/// unwrapper serves all the streams of a program, which share one clock.
public struct TSTimestampUnwrapper: Sendable {
    static let period: Int64 = 1 << 33
    private var last: Int64?

    public init() {}

    /// The continuous value of `raw` (only its low 33 bits are used).
    public mutating func unwrap(_ raw: UInt64) -> Int64 {
        let value = Int64(raw & UInt64(Self.period - 1))
        guard let last else {
            self.last = value
            return value
        }
        // The candidate in last's period, then one period up or down if that is nearer.
        let base = last - (last & (Self.period - 1))
        var candidate = base &+ value
        if candidate &- last > Self.period / 2 {
            candidate = candidate &- Self.period
        } else if last &- candidate > Self.period / 2 {
            candidate = candidate &+ Self.period
        }
        self.last = candidate
        return candidate
    }
}
