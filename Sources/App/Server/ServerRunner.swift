import Glibc
import System

/// Runs the server process: logs, pid file, listeners, signals, the loop. Returns the exit code.
public enum ServerRunner {
    public static func run(config original: ServerConfig, warnings: [String], configPath: String?) -> Int32 {
        var config = original
        let container = config.inDocker ? "in_docker on" : ContainerDetector.system(environment: ProcessEnv.environment()).detect()
        if let why = container {
            // SRS in docker: run in the foreground, so the container runtime supervises the process.
            if config.daemon && config.disableDaemonForDocker { config.daemon = false }
            ProcessEnv.printError("srs: running in a container (\(why)); daemon=\(config.daemon)")
        }
        if config.daemon {
            do {
                try Daemon.daemonize()
            } catch {
                ProcessEnv.printError("srs: daemonize failed: \(error)")
                return 1
            }
        }
        Log.level = config.logLevel
        do {
            if config.logTank == .file { try Log.toFile(config.logFile) } else { Log.toConsole() }
        } catch {
            ProcessEnv.printError("srs: cannot open log file: \(error)")
            return 1
        }
        Log.cid = Log.newContextID()
        Log.trace("\(Version.server), pid=\(getpid()), config=\(configPath ?? "(env)"), cwd=\(ProcessEnv.currentDirectory())")
        for w in warnings { Log.warn(w) }

        let pidFile: PIDFile
        do {
            pidFile = try PIDFile(path: config.pidFile)
        } catch {
            Log.error("\(error)")
            ProcessEnv.printError("srs: \(error)")
            return 1
        }
        defer { pidFile.remove() }

        do {
            // A peer that resets its socket must not kill us: EPIPE is handled where writev fails.
            signal(SIGPIPE, SIG_IGN)
            let loop = try EventLoop()
            var listeners: [Server.Listener] = []
            for (addr, kind) in Server.listenerSpecs(config) {
                let fd = try TCPListener.bind(host: addr.host, port: addr.port, reusePort: true)
                listeners.append(Server.Listener(fd: fd, address: addr, kind: kind))
            }
            let server = Server(config: config, loop: loop)
            try server.start(listeners: listeners)
            func fastQuit() {
                server.closeListeners()
                server.closeAll()
                loop.stop()
            }
            let signals = try SignalSource(signals: [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2], loop: loop) { sig in
                switch sig {
                case SIGQUIT:
                    Log.trace("sig=\(sig), user start gracefully quit")
                    server.startGracefulQuit { loop.stop() }
                case SIGTERM where config.forceGraceQuit:
                    // K8s sends TERM (after preStop): treat it as graceful when asked to, and a second
                    // TERM cannot cut the wait short.
                    Log.trace("force gracefully quit, signo=\(sig)")
                    server.startGracefulQuit { loop.stop() }
                case SIGTERM, SIGINT:
                    Log.trace("sig=\(sig), user terminate program, fast quit")
                    fastQuit()
                case SIGUSR1:
                    Log.reopen()
                    Log.trace("sig=\(sig), reopen log file")
                default:
                    Log.trace("sig=\(sig) ignored")
                }
            }
            Log.trace("signal installed, reload=\(SIGHUP), reopen=\(SIGUSR1), fast_quit=\(SIGTERM), grace_quit=\(SIGQUIT)")
            loop.run()
            withExtendedLifetime(signals) {}
            Log.trace("srs terminated")
            return 0
        } catch {
            Log.error("start server failed: \(error)")
            ProcessEnv.printError("srs: \(error)")
            return 1
        }
    }
}
