/// The `[variable]` templates of SRS's child processes: an engine's `output`
/// (`rtmp://127.0.0.1:[port]/[app]?vhost=[vhost]/[stream]_[engine]`), the arguments of
/// `exec { publish ... }`, an ingest's output. Besides the caller's variables, the time ones of
/// `srs_path_build_timestamp`: `[2006]` `[01]` `[02]` `[15]` `[04]` `[05]` `[999]` (year,
/// month, day, hour, minute, second, millisecond, zero-padded) and `[timestamp]` (ms since the
/// epoch).
///
/// Unlike SRS, which replaces one variable after another in the whole string, rendering is one
/// pass: a value is never scanned again, so a client's stream named `[engine]` stays
/// `[engine]`. Unknown `[words]` stay as written.
public enum ProcessTemplate {
    /// `template` with every known variable replaced; `values` are `("[name]", value)` pairs.
    public static func render(_ template: String, _ values: [(String, String)], time: CalendarTime? = nil) -> String {
        var all = values
        if let t = time {
            all += [("[2006]", BracketTemplate.pad(t.year, 4)), ("[01]", BracketTemplate.pad(t.month, 2)), ("[02]", BracketTemplate.pad(t.day, 2)),
                    ("[15]", BracketTemplate.pad(t.hour, 2)), ("[04]", BracketTemplate.pad(t.minute, 2)), ("[05]", BracketTemplate.pad(t.second, 2)),
                    ("[999]", BracketTemplate.pad(t.millisecond, 3)), ("[timestamp]", String(t.epochMs))]
        }
        return BracketTemplate.substitute(template, all)
    }
}
