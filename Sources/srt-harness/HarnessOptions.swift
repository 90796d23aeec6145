/// `srt-harness` command line (see `usage`).
struct HarnessOptions {
    enum Command: String {
        case serve
        case syswait
    }

    var command = Command.serve
    var host = "127.0.0.1"
    var port = 0
    var reusePort = false
    /// A bound UDP socket inherited from the parent (a master's slot socket), instead of binding.
    var udpFD: Int32?
    var demux = false
    var seconds = 10.0
    var report = ""
    var peerIdleMs = 10_000
    var latencyProbe = false
    var samples = 200

    static let usage = """
        usage: srt-harness serve (--port P [--host H] [--reuseport] | --udp-fd FD) [--demux]
                                 [--seconds S] [--report FILE] [--peer-idle-ms MS] [--latency-probe]
               srt-harness syswait [--samples N]
          serve    an SRT listener on one event loop, as a worker will run it; appends JSON lines to
                   FILE (ready, accept, close, then a summary with CPU, bytes, messages and wake-ups)
          --udp-fd listen on an inherited bound UDP socket, as a worker will on its master's slot socket
          --latency-probe  also connects to itself and measures delivery past the 120 ms TSBPD latency
          syswait  how late srt_epoll_wait sees a kernel fd (a pipe) become readable
        """

    init(_ args: [String]) throws {
        var i = 0
        if let first = args.first, let c = Command(rawValue: first) {
            command = c
            i = 1
        }
        func value() throws -> String {
            i += 1
            guard i < args.count else { throw HarnessError("\(args[i - 1]) needs a value") }
            return args[i]
        }
        while i < args.count {
            switch args[i] {
            case "--host": host = try value()
            case "--port": port = Int(try value()) ?? 0
            case "--reuseport": reusePort = true
            case "--udp-fd": udpFD = Int32(try value())
            case "--demux": demux = true
            case "--seconds": seconds = Double(try value()) ?? 10
            case "--report": report = try value()
            case "--peer-idle-ms": peerIdleMs = Int(try value()) ?? 10_000
            case "--latency-probe": latencyProbe = true
            case "--samples": samples = Int(try value()) ?? 200
            default: throw HarnessError("unknown argument \(args[i])")
            }
            i += 1
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
