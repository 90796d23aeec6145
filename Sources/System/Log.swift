import Glibc

/// The SRS log format: `[2020-02-19 11:07:20.818][Trace][pid][cid] message`, to the console or a
/// file (`srs_log_tank`, `srs_log_file`), filtered by `srs_log_level`.
public enum Log {
    nonisolated(unsafe) private static var fd: Int32 = 1
    nonisolated(unsafe) private static var path: String?
    nonisolated(unsafe) public static var level: LogLevel = .trace
    /// The context id of the connection being served (SRS's cid), set by the caller around work.
    nonisolated(unsafe) public static var cid: String = ""
    nonisolated(unsafe) private static var pid = getpid()

    /// Logs to the console (stdout).
    public static func toConsole() {
        if let _ = path, fd > 2 { Glibc.close(fd) }
        fd = 1
        path = nil
    }

    /// Logs to a file (appending; created with its directory). Throws if it cannot be opened.
    public static func toFile(_ file: String) throws {
        try FileSystem.makeDirectories(FileSystem.dirname(file))
        let nfd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if nfd < 0 { throw SystemError("open", context: file) }
        if path != nil, fd > 2 { Glibc.close(fd) }
        fd = nfd
        path = file
    }

    /// Reopens the log file (SIGUSR1, after logrotate moved it).
    public static func reopen() {
        guard let p = path else { return }
        try? toFile(p)
    }

    /// Refreshes the pid in log lines (after daemonizing).
    public static func refreshPID() { pid = getpid() }

    /// A new SRS-style context id: 8 random lowercase letters and digits.
    public static func newContextID() -> String {
        let chars = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        var s = [UInt8]()
        for _ in 0..<8 { s.append(chars.randomElement(using: &ProcessRandom.generator)!) }
        return String(decoding: s, as: UTF8.self)
    }

    /// A line at `level` (a decision made elsewhere, such as the master's state machine's).
    public static func log(_ level: LogLevel, _ msg: @autoclosure () -> String, cid: String? = nil) { write(level, msg, cid) }
    public static func verbose(_ msg: @autoclosure () -> String, cid: String? = nil) { write(.verbose, msg, cid) }
    public static func info(_ msg: @autoclosure () -> String, cid: String? = nil) { write(.info, msg, cid) }
    public static func trace(_ msg: @autoclosure () -> String, cid: String? = nil) { write(.trace, msg, cid) }
    public static func warn(_ msg: @autoclosure () -> String, cid: String? = nil) { write(.warn, msg, cid) }
    public static func error(_ msg: @autoclosure () -> String, cid: String? = nil) { write(.error, msg, cid) }

    /// A record is cut to this many bytes (newline included).
    static let maxLineBytes = 8192

    static func write(_ lvl: LogLevel, _ msg: () -> String, _ cid: String?) {
        guard lvl >= level else { return }
        let t = Clock.localTime(Clock.wallMs())
        let line = "[\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2)) \(pad(t.hour, 2)):\(pad(t.minute, 2)):"
            + "\(pad(t.second, 2)).\(pad(t.millisecond, 3))][\(lvl.tag)][\(pid)][\(cid ?? Self.cid)] "
            // Messages carry client strings (names, URLs, requests): one record is one line.
            + LogEscaping.escape(msg())
        var bytes = Array(line.utf8)
        if bytes.count >= maxLineBytes {
            // Cut at a character boundary, not inside a UTF-8 sequence.
            var end = maxLineBytes - 1
            while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
            bytes.removeSubrange(end...)
        }
        bytes.append(10)
        bytes.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n <= 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }

    private static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
