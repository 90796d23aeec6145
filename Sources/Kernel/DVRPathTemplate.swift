/// SRS's `dvr_path` templates (`SrsDvrSegmenter::generate_path`, `srs_path_build_stream`,
/// `srs_path_build_timestamp`, `SrsFragment::rename`):
///
/// - `[vhost]`, `[app]`, `[stream]`: the stream's names;
/// - `[2006]` `[01]` `[02]` `[15]` `[04]` `[05]` `[999]`: year, month, day, hour, minute,
///   second, millisecond of the file's start (Go's reference time, zero-padded);
/// - `[timestamp]`: the start in milliseconds since the epoch;
/// - `[duration]`: the file's duration in milliseconds, known when it is closed: the file is
///   written under the name with `[duration]` as is (plus `.tmp`) and renamed with it replaced.
///
/// Anything else in brackets stays as written. A `dvr_path` not ending in `.flv` or `.mp4` is a
/// directory: `/[stream].[timestamp].flv` is appended (SRS 1 compatible).
///
/// Unlike SRS, which replaces variable by variable in the whole string, rendering is one pass
/// over the template: a stream named `[2006]` stays `[2006]`. Names come from clients, so the
/// path is built by `ConfinedPath`: the part of the template from its first `[variable]` on is
/// rendered, then joined under the fixed directory before it, and refused if it would leave it.
public enum DVRPathTemplate {
    /// The names of the recorded stream.
    public struct Names: Equatable, Sendable {
        public var vhost: String
        public var app: String
        public var stream: String

        public init(vhost: String, app: String, stream: String) {
            self.vhost = vhost
            self.app = app
            self.stream = stream
        }
    }

    /// `dvrPath`, or for a directory `dvrPath/[stream].[timestamp].flv`.
    public static func normalized(_ dvrPath: String) -> String {
        if dvrPath.hasSuffix(".flv") || dvrPath.hasSuffix(".mp4") { return dvrPath }
        return dvrPath + "/[stream].[timestamp].flv"
    }

    /// The file of a recording started at `time`: `normalized(dvrPath)` rendered and confined to
    /// its fixed directory. With `durationMs` nil, `[duration]` is kept (the name to write under).
    public static func path(_ dvrPath: String, names: Names, time: CalendarTime, durationMs: Int64? = nil)
        throws(ConfinedPath.Refusal) -> String {
        let (root, relative) = ConfinedPath.splitTemplate(normalized(dvrPath))
        return try ConfinedPath.join(root: root, render(relative, names: names, time: time, durationMs: durationMs))
    }

    /// One pass over `template`, each known `[variable]` replaced by its value (values are not
    /// scanned again). With `durationMs` nil, `[duration]` is kept.
    public static func render(_ template: String, names: Names, time: CalendarTime, durationMs: Int64?) -> String {
        var values: [(String, String)] = [
            ("[vhost]", names.vhost), ("[app]", names.app), ("[stream]", names.stream),
            ("[2006]", BracketTemplate.pad(time.year, 4)), ("[01]", BracketTemplate.pad(time.month, 2)), ("[02]", BracketTemplate.pad(time.day, 2)),
            ("[15]", BracketTemplate.pad(time.hour, 2)), ("[04]", BracketTemplate.pad(time.minute, 2)), ("[05]", BracketTemplate.pad(time.second, 2)),
            ("[999]", BracketTemplate.pad(time.millisecond, 3)), ("[timestamp]", String(time.epochMs)),
        ]
        if let durationMs { values.append(("[duration]", String(durationMs))) }
        return BracketTemplate.substitute(template, values)
    }
}
