import Glibc
import System

// `srs-bench`: an RTMP load client. `srs-bench play --url rtmp://127.0.0.1:1935/live/s --players 200`
// opens the players on one epoll loop and prints what they received (see BenchOptions.usage).

let options: BenchOptions
do {
    options = try BenchOptions(Array(CommandLine.arguments.dropFirst()))
} catch {
    ProcessEnv.printError("srs-bench: \(error)\n\(BenchOptions.usage)")
    exit(2)
}
if options.showHelp {
    print(BenchOptions.usage)
    exit(0)
}

// A write to a player the server already closed must be an error, not a fatal signal.
signal(SIGPIPE, SIG_IGN)
// Each player is one fd: raise the soft limit to the hard one.
var limit = rlimit()
if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
if UInt64(limit.rlim_cur) < UInt64(options.players + 16) {
    ProcessEnv.printError("srs-bench: warning: open files limit \(limit.rlim_cur) < players \(options.players)")
}

do {
    let url = try PlayURL(options.url)
    guard let report = try LoadRunner(options: options, url: url).run() else {
        ProcessEnv.printError("srs-bench: the run ended without a measurement")
        exit(2)
    }
    print(options.json ? report.json().encode() : report.text())
    exit(report.failed + report.lateFailed > 0 ? 1 : 0)
} catch {
    ProcessEnv.printError("srs-bench: \(error)")
    exit(2)
}
