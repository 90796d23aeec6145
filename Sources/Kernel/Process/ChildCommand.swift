/// A child process to run: the program, its whole argv (no shell ever sees it), and where its
/// standard output and error go. Built by the pure planners (ingest, transcode, exec) and run
/// by System's supervisor.
public struct ChildCommand: Equatable, Sendable {
    /// The program: a path, absolute or relative to the working directory (as SRS, no `PATH`
    /// search).
    public var program: String
    /// argv, `argv[0]` (the program as configured) included.
    public var arguments: [String]
    /// Files the output is appended to; nil: `/dev/null`.
    public var stdoutPath: String?
    public var stderrPath: String?

    public init(program: String, arguments: [String], stdoutPath: String? = nil, stderrPath: String? = nil) {
        self.program = program
        self.arguments = arguments
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    /// The command line for log lines and the API: arguments that are empty or hold blanks or
    /// quotes are single-quoted (shell style, to read unambiguously; nothing runs it through a
    /// shell). The log escapes control characters on its own.
    public var commandLine: String {
        arguments.map(Self.quoted).joined(separator: " ")
    }

    static func quoted(_ a: String) -> String {
        let plain = !a.isEmpty && !a.contains(where: { $0 == " " || $0 == "\t" || $0 == "'" || $0 == "\"" || $0 == "\\" })
        if plain { return a }
        return "'" + a.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
