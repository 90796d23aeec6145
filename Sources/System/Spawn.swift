import CSystem
import Glibc

/// Starting and reaping child processes (the master's workers).
public enum Spawn {
    /// Starts `path` with `arguments` (argv[0] included) and `environment`; the child gets
    /// its own copy of `channel` as fd 3, default signal handlers and a signal mask of
    /// `blockedSignals` only. Every other fd of ours is CLOEXEC, so nothing else leaks into the
    /// child. The caller keeps `channel` (and closes it once the child has its copy). Returns
    /// the child's pid.
    ///
    /// A child that reads its signals from a signalfd is started with them blocked: one sent
    /// before it set up the signalfd then waits for it instead of killing it by default action.
    public static func process(path: String, arguments: [String], environment: [String: String],
                               channel: FileDescriptor, blockedSignals: [Int32] = []) throws -> pid_t {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                blockedSignals.withUnsafeBufferPointer { b in
                    csys_spawn(path, a.baseAddress, e.baseAddress, channel.rawValue, b.baseAddress, Int32(b.count), &pid)
                }
            }
        }
        if rc != 0 { throw SystemError("posix_spawn", errno: rc, context: path) }
        return pid
    }

    /// A child that ended: its pid and how (exit code, or the signal that killed it).
    public struct Exit: Sendable, CustomStringConvertible {
        public var pid: pid_t
        /// The exit code, nil when killed by a signal.
        public var code: Int32?
        /// The signal that killed it.
        public var signal: Int32?

        public init(pid: pid_t, code: Int32?, signal: Int32?) {
            self.pid = pid
            self.code = code
            self.signal = signal
        }

        public var description: String {
            if let s = signal { return "killed by signal \(s)" }
            return "exit code \(code ?? 0)"
        }
    }

    /// Reaps every child that has ended (waitpid WNOHANG), without blocking.
    public static func reap() -> [Exit] {
        var out: [Exit] = []
        while true {
            var status: Int32 = 0
            let pid = csys_reap(&status)
            if pid <= 0 { return out }
            let c = csys_exit_code(status)
            out.append(c >= 0 ? Exit(pid: pid, code: c, signal: nil) : Exit(pid: pid, code: nil, signal: -c))
        }
    }

    /// Replaces this process image (execve), keeping the pid and every fd not marked CLOEXEC.
    /// Returns only on failure, with the error.
    public static func exec(path: String, arguments: [String], environment: [String: String]) -> SystemError {
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        _ = argv.withUnsafeBufferPointer { a in envp.withUnsafeBufferPointer { e in execve(path, a.baseAddress!, e.baseAddress!) } }
        return SystemError("execve", context: path)
    }

    /// Sends a signal; false when the process is gone.
    @discardableResult
    public static func kill(_ pid: pid_t, _ signal: Int32) -> Bool { Glibc.kill(pid, signal) == 0 }

    /// The absolute path of this executable as started (resolved once, before any upgrade replaces the file).
    public static func executablePath() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return CommandLine.arguments.first ?? "srs" }
        var path = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // After the file was replaced on disk the kernel appends " (deleted)"; the path is what we want.
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        return path
    }
}

/// The process title in `ps` (nginx style: `srs: master process ./objs/srs -c conf/srs.conf`).
public enum ProcessTitle {
    /// Sets the title; call after the command line was read (it reuses the argv memory).
    public static func set(_ title: String) {
        csys_set_proctitle(title)
        // The short name (15 chars) in /proc/PID/comm, shown by top.
        _ = csys_set_name(String(title.prefix(15)))
    }
}

/// How many CPUs this process may really use: the affinity mask, capped by a cgroup CPU quota
/// (a container limited to 1.5 CPUs gets 2), for `worker_processes auto`.
public enum CPUBudget {
    /// Read once: a process's CPU budget does not change while it runs.
    public static let current = available()

    public static func available(readFile: (String) -> String? = { try? FileSystem.readText($0) }) -> Int {
        let cpus = Int(csys_affinity_cpus())
        guard let quota = quotaCPUs(readFile: readFile) else { return cpus }
        return max(1, min(cpus, quota))
    }

    /// CPUs allowed by the cgroup quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`), rounded up.
    public static func quotaCPUs(readFile: (String) -> String?) -> Int? {
        if let v2 = readFile("/sys/fs/cgroup/cpu.max") {
            let parts = v2.split(whereSeparator: { $0 == " " || $0 == "\n" })
            guard parts.count >= 2, let q = Int(parts[0]), let p = Int(parts[1]), q > 0, p > 0 else { return nil }
            return (q + p - 1) / p
        }
        if let qs = readFile("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), let ps = readFile("/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
           let q = Int(qs.split(separator: "\n").first ?? ""), let p = Int(ps.split(separator: "\n").first ?? ""), q > 0, p > 0 {
            return (q + p - 1) / p
        }
        return nil
    }
}
