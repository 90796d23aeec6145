/// The `srs-bench` command line: `srs-bench play --url rtmp://host[:port]/app/stream [options]`.
struct BenchOptions {
    /// The RTMP URL every player plays.
    var url = "rtmp://127.0.0.1:1935/live/livestream"
    /// How many players to open.
    var players = 100
    /// New connections started per second while ramping up.
    var rate = 50.0
    /// Seconds between the end of the ramp and the start of the measured window (lets late
    /// connections settle so the window measures steady state).
    var warmup = 3.0
    /// Length of the measured (steady) window in seconds.
    var duration = 20.0
    /// A player with no media for longer than this (ms) inside the window counts as stalled.
    var stallMs: Int64 = 2000
    /// Players that join one by one during the window, while the others play (reported apart).
    var lateJoiners = 0
    /// A player not receiving its first video keyframe within this many ms has failed.
    var connectTimeoutMs: Int64 = 10_000
    /// Processes whose CPU (utime+stime) and RSS are sampled over the window (the server).
    var pids: [Int] = []
    /// Our other processes (the publisher): not counted as other work on the machine.
    var excludePids: [Int] = []
    /// CPUs the server is pinned to alone: their busy time (/proc/stat) is reported too.
    var serverCPUs: [Int] = []
    /// Keep only players the server accepted in this process (a worker): see `PlayerPlacement`.
    var onPid: Int?
    /// A free-form name echoed in the report (e.g. "swiftsrs" or "nginx-rtmp").
    var label = ""
    /// Print one JSON object instead of the text summary.
    var json = false
    var showHelp = false

    static let usage = """
        usage: srs-bench play --url rtmp://host[:port]/app/stream [options]

        Opens N RTMP players (single thread, epoll), ramping at a given rate, and reports players
        connected/failed, aggregate Mbps over the steady window, first-frame latency (TCP connect
        start to the first video keyframe) p50/p99/max, players that stalled, and how late media
        arrived against its timestamps (delay beyond the player's most prompt message; gaps).

        options:
          --url URL            stream to play (default rtmp://127.0.0.1:1935/live/livestream)
          --players N          number of players (default 100)
          --rate R             new connections per second while ramping (default 50)
          --warmup S           seconds after the ramp before the window starts (default 3)
          --duration S         length of the measured window in seconds (default 20)
          --stall-ms MS        no media for longer than this is a stall (default 2000)
          --timeout-ms MS      a player without a keyframe after this has failed (default 10000)
          --late-joiners K     K more players join over the first half of the window, while the
                               others play; their first frame is reported apart (default 0)
          --pids P1,P2         processes to sample CPU% and RSS over the window (the server)
          --server-cpus 0,1    CPUs the server runs on alone: report how busy they were
          --exclude-pids P1,P2 our other processes (publisher), not counted as other work
          --on-pid PID         keep only players accepted by server process PID (a worker):
                               each connects, and is replaced by a new one if another process
                               accepted it; start-up is then timed from the handshake
          --label NAME         name echoed in the report
          --json               print one JSON object

        exit status: 0 every player (late joiners too) got a keyframe, 1 some did not, 2 usage or
        setup error.
        """

    init(_ args: [String]) throws {
        var it = args.makeIterator()
        guard let command = it.next() else { throw BenchError.usage("missing command") }
        if command == "-h" || command == "--help" || command == "help" {
            showHelp = true
            return
        }
        guard command == "play" else { throw BenchError.usage("unknown command \(command)") }
        while let arg = it.next() {
            func value() throws -> String {
                guard let v = it.next() else { throw BenchError.usage("\(arg) needs a value") }
                return v
            }
            switch arg {
            case "--url": url = try value()
            case "--players": players = try Self.number(arg, try value(), Int.init, min: 1)
            case "--rate": rate = try Self.number(arg, try value(), Double.init, min: 0.1)
            case "--warmup": warmup = try Self.number(arg, try value(), Double.init, min: 0)
            case "--duration": duration = try Self.number(arg, try value(), Double.init, min: 1)
            case "--stall-ms": stallMs = try Self.number(arg, try value(), Int64.init, min: 1)
            case "--timeout-ms": connectTimeoutMs = try Self.number(arg, try value(), Int64.init, min: 1)
            case "--late-joiners": lateJoiners = try Self.number(arg, try value(), Int.init, min: 0)
            case "--pids":
                let raw = try value()
                pids = try raw.split(separator: ",").map { try Self.number(arg, String($0), Int.init, min: 1) }
            case "--exclude-pids":
                let raw = try value()
                excludePids = try raw.split(separator: ",").map { try Self.number(arg, String($0), Int.init, min: 1) }
            case "--server-cpus":
                let raw = try value()
                serverCPUs = try raw.split(separator: ",").map { try Self.number(arg, String($0), Int.init, min: 0) }
            case "--on-pid": onPid = try Self.number(arg, try value(), Int.init, min: 1)
            case "--label": label = try value()
            case "--json": json = true
            case "-h", "--help": showHelp = true
            default: throw BenchError.usage("unknown option \(arg)")
            }
        }
    }

    private static func number<T: Comparable>(_ name: String, _ raw: String, _ parse: (String) -> T?, min: T) throws -> T {
        guard let v = parse(raw), v >= min else { throw BenchError.usage("\(name): bad value \(raw)") }
        return v
    }
}

/// Errors of the load client.
enum BenchError: Error, CustomStringConvertible {
    case usage(String)
    case url(String)
    case resolve(String)
    case clip(String)

    var description: String {
        switch self {
        case .usage(let s): return s
        case .url(let s): return "bad url: \(s)"
        case .resolve(let s): return "cannot resolve \(s)"
        case .clip(let s): return "bad clip: \(s)"
        }
    }
}
