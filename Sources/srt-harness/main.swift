import Glibc
import SRT
import System

// `srt-harness`: the SRT layer alone on an event loop, for the measurements of docs/srt.md and
// the two-process test (see HarnessOptions.usage).

let options: HarnessOptions
do {
    options = try HarnessOptions(Array(CommandLine.arguments.dropFirst()))
} catch {
    ProcessEnv.printError("srt-harness: \(error)\n\(HarnessOptions.usage)")
    exit(2)
}
do {
    let report = try HarnessReport(path: options.report)
    switch options.command {
    case .serve:
        try HarnessServer(options: options, report: report).run()
    case .syswait:
        SyswaitProbe.run(samples: options.samples, report: report)
    }
} catch {
    ProcessEnv.printError("srt-harness: \(error)")
    exit(1)
}
