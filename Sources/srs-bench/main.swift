import Glibc
import System

// `srs-bench`: an RTMP load client. `srs-bench play --url rtmp://127.0.0.1:1935/live/s --players 200`
// opens the players on one epoll loop and prints what they received (see BenchOptions.usage);
// `srs-bench publish --clip clip.flv --publishers 500` publishes a clip N times in real time
// (see PublishOptions.usage).

let arguments = Array(CommandLine.arguments.dropFirst())
let isPublish = arguments.first == "publish"
let usage = isPublish ? PublishOptions.usage : BenchOptions.usage + "\n\n" + PublishOptions.usage

/// Raises the open files limit to the hard limit (each connection is one fd).
func raiseOpenFiles(for connections: Int) {
    var limit = rlimit()
    if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    if UInt64(limit.rlim_cur) < UInt64(connections + 16) {
        ProcessEnv.printError("srs-bench: warning: open files limit \(limit.rlim_cur) < connections \(connections)")
    }
}

func play(_ options: BenchOptions) throws -> Int32 {
    raiseOpenFiles(for: options.players + options.lateJoiners)
    let url = try PlayURL(options.url)
    guard let report = try LoadRunner(options: options, url: url).run() else {
        ProcessEnv.printError("srs-bench: the run ended without a measurement")
        return 2
    }
    print(options.json ? report.json().encode() : report.text())
    return report.failed + report.lateFailed > 0 ? 1 : 0
}

func publish(_ options: PublishOptions) throws -> Int32 {
    raiseOpenFiles(for: options.publishers)
    let url = try PlayURL(options.url)
    let clip = try FLVClip(path: options.clip)
    guard let report = try PublishRunner(options: options, url: url, clip: clip).run() else {
        ProcessEnv.printError("srs-bench: the run ended without a measurement")
        return 2
    }
    print(options.json ? report.json().encode() : report.text())
    return report.failed + report.disconnected > 0 ? 1 : 0
}

// A write to a peer the server already closed must be an error, not a fatal signal.
signal(SIGPIPE, SIG_IGN)
do {
    if isPublish {
        let options = try PublishOptions(Array(arguments.dropFirst()))
        if options.showHelp { print(usage); exit(0) }
        exit(try publish(options))
    }
    let options = try BenchOptions(arguments)
    if options.showHelp { print(usage); exit(0) }
    exit(try play(options))
} catch let e as BenchError {
    if case .usage = e {
        ProcessEnv.printError("srs-bench: \(e)\n\(usage)")
    } else {
        ProcessEnv.printError("srs-bench: \(e)")
    }
    exit(2)
} catch {
    ProcessEnv.printError("srs-bench: \(error)")
    exit(2)
}
