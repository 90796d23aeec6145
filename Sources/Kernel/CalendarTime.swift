/// A wall-clock instant and its broken-down calendar fields (local time or UTC, as the caller
/// chose), for names built from the time: DVR and HLS path templates. Kernel reads no clock:
/// the caller makes these (System's `Clock`), tests make them by hand.
public struct CalendarTime: Equatable, Sendable {
    /// Milliseconds since the Unix epoch.
    public var epochMs: Int64
    public var year, month, day, hour, minute, second, millisecond: Int

    public init(epochMs: Int64, year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) {
        self.epochMs = epochMs
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.millisecond = millisecond
    }
}
