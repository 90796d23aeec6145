/// `srs` command line, as SRS's: `-c conf`, `-t` test config, `-e` env-only config, `-v`, `-h`.
struct CommandLineOptions {
    var configPath = "conf/srs.conf"
    var testOnly = false
    var environmentOnly = false
    var showVersion = false
    var showHelp = false

    enum ParseError: Error, CustomStringConvertible {
        case missingValue(String), unknown(String)
        var description: String {
            switch self {
            case .missingValue(let f): return "option \(f) needs a value"
            case .unknown(let f): return "unknown option \(f)"
            }
        }
    }

    init(_ args: [String]) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            switch a {
            case "-c":
                guard i + 1 < args.count else { throw ParseError.missingValue(a) }
                configPath = args[i + 1]
                i += 1
            case "-t": testOnly = true
            case "-e": environmentOnly = true
            case "-v", "-V", "--version": showVersion = true
            case "-h", "--help", "-?": showHelp = true
            default: throw ParseError.unknown(a)
            }
            i += 1
        }
    }

    static let usage = """
        Usage: srs [-h?vVte] [-c <filename>]

        Options:
           -?, -h, --help      : Show this help and exit 0.
           -v, -V, --version   : Show version and exit 0.
           -t                  : Test configuration file, exit 0 if ok, 1 if not.
           -e                  : Use environment variables only (SRS_*), ignore the config file.
           -c <filename>       : Use the configuration file (default: conf/srs.conf).

        Signals: HUP reload, USR1 reopen log, TERM/INT fast quit, QUIT graceful quit.
        Examples:
           srs -c conf/srs.conf
           srs -t -c conf/srs.conf
        """
}
