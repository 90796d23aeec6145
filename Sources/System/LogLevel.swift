/// SRS log levels, lowest first. `srs_log_level` names them.
public enum LogLevel: Int, Comparable, Sendable, CaseIterable {
    case verbose, info, trace, warn, error

    public init?(name: String) {
        switch name.lowercased() {
        case "verbose": self = .verbose
        case "info": self = .info
        case "trace": self = .trace
        case "warn": self = .warn
        case "error": self = .error
        default: return nil
        }
    }

    /// The tag in a log line: `[Trace]`.
    public var tag: String {
        switch self {
        case .verbose: return "Verb"
        case .info: return "Debug"
        case .trace: return "Trace"
        case .warn: return "Warn"
        case .error: return "Error"
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}
