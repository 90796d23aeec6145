import System

/// The whole server config, typed, with SRS's defaults. Built by `ConfigLoader` from a file (or
/// the environment); equal configs compare equal, so a reload can tell what changed.
public struct ServerConfig: Equatable, Sendable {
    public enum LogTank: String, Equatable, Sendable { case console, file }

    /// How many workers the master runs (`worker_processes N|auto`).
    public enum WorkerCount: Equatable, Sendable {
        case count(Int)
        /// One per CPU this process may use (cgroup quota honoured).
        case auto

        /// How many workers this means here.
        public var resolved: Int {
            switch self {
            case .count(let n): return max(1, n)
            case .auto: return CPUBudget.current
            }
        }
    }

    /// RTMP listeners (`listen 1935;`).
    public var listen: [ListenAddress] = [ListenAddress(port: 1935)]
    public var pidFile = "./objs/srs.pid"
    public var maxConnections = 1000
    public var daemon = true
    public var disableDaemonForDocker = true
    public var inDocker = false
    public var inotifyAutoReload = false
    public var autoReloadForDocker = true
    public var graceStartWaitMs = 2300
    public var graceFinalWaitMs = 3200
    /// Beyond SRS: after this long in a graceful quit, remaining connections are closed (nil = wait forever, as SRS).
    public var graceMaxWaitMs: Int?
    public var forceGraceQuit = false
    public var logTank: LogTank = .file
    public var logLevel: LogLevel = .trace
    public var logFile = "./objs/srs.log"
    public var workDir = "./"
    /// `utc_time`: time variables in file names (`dvr_path`) in UTC instead of local time.
    public var utcTime = false
    /// Fixed server id for the API; nil = a random `vid-xxxxxxx`.
    public var serverID: String?
    /// The RTMP chunk size we send with.
    public var chunkSize = 60000
    public var workerProcesses: WorkerCount = .count(1)
    /// Deadlines of HTTP request heads and bodies, RTMP handshakes and command phases.
    public var clientTimeouts = ClientTimeouts()
    public var httpAPI = HTTPAPIConfig()
    public var httpServer = HTTPServerConfig()
    public var exporter = ExporterConfig()
    public var srtServer = SRTServerConfig()
    /// Where child processes (ffmpeg of ingests and transcodes, exec) write their output
    /// (`ff_log_dir`, default `./objs`; `/dev/null` for nowhere), and ffmpeg's `-loglevel` for
    /// ingests (`ff_log_level`, default `info`).
    public var ffLogDir = "./objs"
    public var ffLogLevel = "info"
    public var vhosts: [VhostConfig] = []

    public init() {}

    /// The vhost serving `name`: the enabled vhost of that name, else `__defaultVhost__` (as SRS).
    public func vhost(_ name: String) -> VhostConfig? {
        if let v = vhosts.first(where: { $0.name == name }) { return v.enabled ? v : nil }
        if let d = vhosts.first(where: { $0.name == VhostConfig.defaultName }), d.enabled { return d }
        return nil
    }
}

/// `http_api { ... }`.
public struct HTTPAPIConfig: Equatable, Sendable {
    public var enabled = false
    public var listen = ListenAddress(port: 1985)
    public var crossdomain = true
    /// `raw_api { enabled; allow_reload; }`: `/api/v1/raw?rpc=reload`.
    public var rawAPI = false
    public var rawAPIAllowReload = false
    /// `auth { enabled on; username; password; }`: HTTP basic auth on the API (nil = off).
    public var authUsername: String?
    public var authPassword = ""

    public init() {}
}

/// `http_server { ... }`.
public struct HTTPServerConfig: Equatable, Sendable {
    public var enabled = false
    public var listen = ListenAddress(port: 8080)
    public var dir = "./objs/nginx/html"
    public var crossdomain = true

    public init() {}
}

/// `exporter { enabled; listen; label; tag; }`: SRS's Prometheus exporter (`/metrics`).
public struct ExporterConfig: Equatable, Sendable {
    public var enabled = false
    public var listen = ListenAddress(port: 9972)
    /// Labels of `srs_build_info` that name the cluster and the role of this server.
    public var label = ""
    public var tag = ""

    public init() {}
}
