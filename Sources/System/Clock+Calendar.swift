import Kernel

extension Clock {
    /// A wall-clock instant as Kernel's `CalendarTime` in local time (for SRS's time variables:
    /// `[2006]`, `[timestamp]`...).
    public static func calendarTime(_ wallMs: Int64 = Clock.wallMs()) -> CalendarTime {
        let t = localTime(wallMs)
        return CalendarTime(epochMs: wallMs, year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute,
                            second: t.second, millisecond: t.millisecond)
    }
}
