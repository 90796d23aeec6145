/// The `srs-bench publish` command line: N publishers of one FLV clip, paced in real time.
struct PublishOptions {
    /// The URL template: `{i}` in the stream name becomes the publisher's number (1...N);
    /// without it, `-i` is appended to the stream name.
    var url = "rtmp://127.0.0.1:1935/live/pub-{i}"
    /// The FLV file every publisher sends, looped.
    var clip = ""
    var publishers = 100
    /// New connections started per second while ramping up.
    var rate = 50.0
    var warmup = 3.0
    var duration = 20.0
    /// A publisher whose media went out later than this behind its due time "fell behind".
    var behindMs: Int64 = 1000
    /// A publisher not publishing after this long has failed.
    var connectTimeoutMs: Int64 = 10_000
    /// Chunk size the publishers send with (ffmpeg and OBS use 4096).
    var chunkSize = 4096
    /// Bytes a publisher may have queued in user space before it waits for the socket: a
    /// blocking encoder holds about one burst; the rest of a backlog shows as lateness.
    var maxQueuedBytes = 65536
    var pids: [Int] = []
    var excludePids: [Int] = []
    var serverCPUs: [Int] = []
    var label = ""
    var json = false
    var showHelp = false

    static let usage = """
        usage: srs-bench publish --clip FILE.flv [--url rtmp://host[:port]/app/pub-{i}] [options]

        Opens N RTMP publishers (single thread, epoll), ramping at a given rate; each sends the
        clip's metadata and sequence headers, then its media in a loop with continuous
        timestamps, every tag when it is due in real time (ffmpeg -re -stream_loop -1 -c copy).
        Reports publishers publishing/failed/disconnected (with reasons), how late media went out
        (lateness: when a tag's last byte was handed to the kernel, against its due time) and
        how many publishers fell behind, the server's unread bytes per publisher (its socket's
        Recv-Q, from the kernel's sock_diag, when the server is on this host), Mbps sent, and
        the server's and this client's CPU over the steady window.

        options:
          --url URL            stream template, {i} = 1..N (default rtmp://127.0.0.1:1935/live/pub-{i})
          --clip FILE          FLV file to publish (required)
          --publishers N       number of publishers (default 100)
          --rate R             new connections per second while ramping (default 50)
          --warmup S           seconds after the ramp before the window starts (default 3)
          --duration S         length of the measured window in seconds (default 20)
          --behind-ms MS       later than this is "behind" (default 1000)
          --timeout-ms MS      a publisher not publishing after this has failed (default 10000)
          --chunk-size N       chunk size to send with (default 4096)
          --max-queued B       bytes queued in user space per publisher before it waits (default 65536)
          --pids P1,P2         processes to sample CPU% and RSS over the window (the server)
          --server-cpus 0,1    CPUs the server runs on alone: report how busy they were
          --exclude-pids P1,P2 our other processes, not counted as other work
          --label NAME         name echoed in the report
          --json               print one JSON object

        exit status: 0 every publisher published to the end, 1 some failed or were disconnected,
        2 usage or setup error.
        """

    init(_ args: [String]) throws {
        var it = args.makeIterator()
        while let arg = it.next() {
            func value() throws -> String {
                guard let v = it.next() else { throw BenchError.usage("\(arg) needs a value") }
                return v
            }
            func list(_ min: Int) throws -> [Int] {
                try value().split(separator: ",").map { try Self.number(arg, String($0), Int.init, min: min) }
            }
            switch arg {
            case "--url": url = try value()
            case "--clip": clip = try value()
            case "--publishers": publishers = try Self.number(arg, try value(), Int.init, min: 1)
            case "--rate": rate = try Self.number(arg, try value(), Double.init, min: 0.1)
            case "--warmup": warmup = try Self.number(arg, try value(), Double.init, min: 0)
            case "--duration": duration = try Self.number(arg, try value(), Double.init, min: 1)
            case "--behind-ms": behindMs = try Self.number(arg, try value(), Int64.init, min: 1)
            case "--timeout-ms": connectTimeoutMs = try Self.number(arg, try value(), Int64.init, min: 1)
            case "--chunk-size": chunkSize = try Self.number(arg, try value(), Int.init, min: 128)
            case "--max-queued": maxQueuedBytes = try Self.number(arg, try value(), Int.init, min: 1)
            case "--pids": pids = try list(1)
            case "--exclude-pids": excludePids = try list(1)
            case "--server-cpus": serverCPUs = try list(0)
            case "--label": label = try value()
            case "--json": json = true
            case "-h", "--help": showHelp = true
            default: throw BenchError.usage("unknown option \(arg)")
            }
        }
        guard showHelp || !clip.isEmpty else { throw BenchError.usage("--clip is required") }
        guard chunkSize <= 65536 else { throw BenchError.usage("--chunk-size: at most 65536") }
    }

    /// The stream name of publisher `index` (1-based), from the URL's stream name `template`.
    static func streamName(_ template: String, index: Int) -> String {
        if template.contains("{i}") { return template.replacing("{i}", with: String(index)) }
        guard let q = template.firstIndex(of: "?") else { return "\(template)-\(index)" }
        return "\(template[..<q])-\(index)\(template[q...])"
    }

    private static func number<T: Comparable>(_ name: String, _ raw: String, _ parse: (String) -> T?, min: T) throws -> T {
        guard let v = parse(raw), v >= min else { throw BenchError.usage("\(name): bad value \(raw)") }
        return v
    }
}
