import Glibc
import Kernel

extension Clock {
    /// A wall-clock instant as Kernel's `CalendarTime` in local time, or UTC with `utc` (SRS's
    /// `utc_time`), for SRS's time variables: `[2006]`, `[timestamp]`...
    public static func calendarTime(_ wallMs: Int64 = Clock.wallMs(), utc: Bool = false) -> CalendarTime {
        let t: LocalTime
        if utc {
            var secs = time_t(wallMs / 1000)
            var tmv = tm()
            gmtime_r(&secs, &tmv)
            t = LocalTime(year: Int(tmv.tm_year) + 1900, month: Int(tmv.tm_mon) + 1, day: Int(tmv.tm_mday),
                          hour: Int(tmv.tm_hour), minute: Int(tmv.tm_min), second: Int(tmv.tm_sec), millisecond: Int(wallMs % 1000))
        } else {
            t = localTime(wallMs)
        }
        return CalendarTime(epochMs: wallMs, year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute,
                            second: t.second, millisecond: t.millisecond)
    }
}
