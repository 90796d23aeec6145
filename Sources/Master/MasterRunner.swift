import Core
import Glibc
import Protocol
import System

/// Starts the master process: working directory, daemon (off in containers), log, pid file,
/// then the master loop. Returns the exit code.
public enum MasterRunner {
    public static func run(_ loaded: ConfigLoadResult, configPath: String?, environment: [String: String]) -> Int32 {
        let config = loaded.config
        if config.workDir != "./" && !config.workDir.isEmpty {
            do { try ProcessEnv.changeDirectory(config.workDir) } catch {
                ProcessEnv.printError("srs: work_dir: \(error)")
                return 1
            }
        }
        let container = config.inDocker ? "in_docker on" : ContainerDetector.system(environment: environment).detect()
        // In a container the runtime supervises the process: stay in the foreground (SRS). The
        // config keeps what the file says, so a reload compares file with file.
        let daemon = config.daemon && !(container != nil && config.disableDaemonForDocker)
        var readiness: Daemon.Readiness?
        if daemon {
            do { readiness = try Daemon.daemonize() } catch {
                ProcessEnv.printError("srs: daemonize failed: \(error)")
                return 1
            }
            Log.refreshPID()
        }
        guard openLog(config) else { return 1 }
        Log.trace("\(Version.server), pid=\(getpid()), config=\(configPath ?? "(env)"), cwd=\(ProcessEnv.currentDirectory())")
        if let why = container { Log.trace("running in a container (\(why)), daemon=\(daemon ? "on" : "off")") }
        for w in loaded.warnings { Log.warn(w) }
        return serve(config) {
            let m = try Master(config: config, directives: loaded.directives, configPath: configPath, environment: environment)
            m.inContainer = container != nil
            m.onListening = { readiness?.ready() }
            return m
        }
    }

    /// After a hot upgrade's re-exec: carry on with the state the previous image left, or nil
    /// when this process was not re-executed.
    public static func resume(environment: [String: String]) -> Int32? {
        guard let text = environment[ReexecState.environmentKey] else { return nil }
        guard let json = try? JSONValue.parse(text), let state = ReexecState(json: json) else {
            ProcessEnv.printError("srs: bad \(ReexecState.environmentKey), cannot resume")
            return 1
        }
        let master: Master
        do {
            master = try Master(resuming: state, environment: environment)
        } catch {
            ProcessEnv.printError("srs: resume after upgrade failed: \(error)")
            return 1
        }
        guard openLog(master.config) else { return 1 }
        master.inContainer = master.config.inDocker || ContainerDetector.system(environment: environment).detect() != nil
        return serve(master.config) { master }
    }

    private static func openLog(_ config: ServerConfig) -> Bool {
        do {
            try config.applyLog()
        } catch {
            ProcessEnv.printError("srs: cannot open log file: \(error)")
            return false
        }
        Log.cid = Log.newContextID()
        return true
    }

    /// Holds the pid file and runs the master until it quits.
    private static func serve(_ config: ServerConfig, _ make: () throws -> Master) -> Int32 {
        let pidFile: PIDFile
        do {
            pidFile = try PIDFile(path: config.pidFile)
        } catch {
            Log.error("\(error)")
            ProcessEnv.printError("srs: \(error)")
            return 1
        }
        signal(SIGPIPE, SIG_IGN)
        do {
            let master = try make()
            try master.run()
            // A re-exec does not come back here; only a master that ends removes the pid file.
            pidFile.remove()
            Log.trace("srs terminated")
            return master.exitCode
        } catch {
            pidFile.remove()
            Log.error("start server failed: \(error)")
            ProcessEnv.printError("srs: \(error)")
            return 1
        }
    }
}
