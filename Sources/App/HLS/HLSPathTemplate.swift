import Kernel
import System

/// Renders SRS's HLS file name templates (`hls_m3u8_file`, `hls_ts_file`): `[vhost]`, `[app]`,
/// `[stream]`, `[seq]`, `[timestamp]` (ms), `[duration]` (ms), and the Go-style date parts
/// `[2006]` `[01]` `[02]` `[15]` `[04]` `[05]` `[999]` (year, month, day, hour, minute, second, ms).
///
/// Names come from clients, so they are made safe first (no `..`, no absolute path), and the
/// file path is built by `ConfinedPath.join`, which proves it stays inside `hls_path`.
enum HLSPathTemplate {
    /// The file `relative` (a rendered template) under `root` (`hls_path`), or nil when
    /// `ConfinedPath` refuses it (logged).
    static func file(root: String, _ relative: String) -> String? {
        do {
            return try ConfinedPath.join(root: root, relative)
        } catch {
            Log.warnRepeated("hls: refuse path", "hls: refuse path \(relative) under \(root): \(error)")
            return nil
        }
    }

    static func render(template: String, vhost: String, app: String, stream: String, seq: Int, timestampMs: Int64,
                       year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int,
                       duration: Double) -> String {
        let values: [(String, String)] = [
            ("[vhost]", safe(vhost)), ("[app]", safe(app)), ("[stream]", safe(stream)),
            ("[seq]", String(seq)), ("[timestamp]", String(timestampMs)), ("[duration]", String(Int((duration * 1000).rounded()))),
            ("[2006]", BracketTemplate.pad(year, 4)), ("[01]", BracketTemplate.pad(month, 2)), ("[02]", BracketTemplate.pad(day, 2)), ("[15]", BracketTemplate.pad(hour, 2)),
            ("[04]", BracketTemplate.pad(minute, 2)), ("[05]", BracketTemplate.pad(second, 2)), ("[999]", BracketTemplate.pad(millisecond, 3)),
        ]
        return safe(BracketTemplate.substitute(template, values))
    }

    /// Drops empty, `.` and `..` path components and any leading `/`; an empty result becomes `_`.
    static func safe(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." && $0 != ".." }
        let joined = parts.joined(separator: "/")
        return joined.isEmpty ? "_" : joined
    }
}
