/// The log file of a child process in `ff_log_dir` (SRS: `ffmpeg-ingest-<vhost>-<app>-<stream>.log`,
/// `ffmpeg-encoder-<vhost>-<app>-<stream>-<engine>.log`). Names may come from clients, so the
/// file is built by `ConfinedPath` and a `/` in a name (an app `live/sub`) becomes `_`: the file
/// always sits in the directory itself.
public enum ChildLogPath {
    /// SRS's value of `ff_log_dir` that turns the logs off.
    public static let disabled = "/dev/null"

    /// `dir/name` (with `/` in `name` made `_`), or nil when logs are off or the name is refused
    /// (then the output goes nowhere).
    public static func path(dir: String, name: String) -> String? {
        guard dir != disabled else { return nil }
        let flat = String(name.map { $0 == "/" ? "_" : $0 })
        return try? ConfinedPath.join(root: dir, flat)
    }
}
