import App
import Core
import Glibc
import Master
import System

// The `srs` executable: a worker when the master started it; else parse the command line, load
// the config, and run as the master.

let environment = ProcessEnv.environment()
if environment[WorkerProcess.environmentKey] != nil {
    Signals.blockHandled()
    exit(WorkerRunner.run(environment: environment))
}
if let code = MasterRunner.resume(environment: environment) {
    exit(code)
}

let options: CommandLineOptions
do {
    options = try CommandLineOptions(Array(ProcessEnv.arguments.dropFirst()))
} catch {
    ProcessEnv.printError("srs: \(error)\n\(CommandLineOptions.usage)")
    exit(1)
}

if options.showHelp {
    print(CommandLineOptions.usage)
    exit(0)
}
if options.showVersion {
    // SRS prints its version alone on stderr.
    ProcessEnv.printError(Version.string)
    exit(0)
}

let loaded: ConfigLoadResult
do {
    loaded = options.environmentOnly
        ? try ConfigLoader.fromEnvironment(environment)
        : try ConfigLoader.load(path: options.configPath, environment: environment)
} catch {
    ProcessEnv.printError("srs: config error: \(error)")
    if options.testOnly { ProcessEnv.printError("config file \(options.configPath) test failed") }
    exit(1)
}
for w in loaded.warnings { ProcessEnv.printError("srs: warning: \(w)") }

if options.testOnly {
    ProcessEnv.printError("the config file \(options.configPath) syntax is ok")
    ProcessEnv.printError("config file \(options.configPath) test is successful")
    exit(0)
}

// From here on a signal waits for the master's signalfd instead of killing a half-started server.
Signals.blockHandled()

exit(MasterRunner.run(loaded, configPath: options.environmentOnly ? nil : options.configPath, environment: environment))
