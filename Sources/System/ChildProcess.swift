import CSystem
import Glibc
import Kernel

/// Starting and signalling the children a `ProcessSupervisor` watches (ffmpeg, exec'd
/// programs). Unlike workers (posix_spawn), these are started by `csys_spawn_child`: their own
/// process group, and the kernel kills them when we die, even by SIGKILL.
public enum ChildProcess {
    /// Starts `command` with `environment`. Its stdin is `/dev/null`; stdout and stderr are
    /// appended to its log files (created 0664, as SRS; not their directory: a path may hold
    /// client names), or go to `/dev/null`. `header`, when given, is written to the stdout log first (who started what,
    /// as SRS writes). Returns the child's pid.
    public static func spawn(_ command: ChildCommand, environment: [String: String], header: String? = nil) throws -> pid_t {
        let input = try open("/dev/null", flags: O_RDONLY)
        defer { Glibc.close(input) }
        let out = try openOutput(command.stdoutPath)
        defer { Glibc.close(out) }
        let err = command.stderrPath == command.stdoutPath ? out : try openOutput(command.stderrPath)
        defer { if err != out { Glibc.close(err) } }
        if let header, command.stdoutPath != nil {
            let bytes = Array(header.utf8)
            _ = bytes.withUnsafeBytes { Glibc.write(out, $0.baseAddress, $0.count) }
        }
        let argv = command.arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let rc = argv.withUnsafeBufferPointer { a in
            envp.withUnsafeBufferPointer { e in
                csys_spawn_child(command.program, a.baseAddress, e.baseAddress, input, out, err, SIGKILL, &pid)
            }
        }
        if rc != 0 { throw SystemError("spawn", errno: rc, context: command.program) }
        return pid
    }

    /// Sends `signal` to the child's process group (what it started too), or to the child
    /// alone if the group is gone. False when neither exists.
    @discardableResult
    public static func signal(_ pid: pid_t, _ signal: Int32) -> Bool {
        if Glibc.kill(-pid, signal) == 0 { return true }
        return Glibc.kill(pid, signal) == 0
    }

    private static func open(_ path: String, flags: Int32) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, 0o664)
        if fd < 0 { throw SystemError("open", context: path) }
        return fd
    }

    private static func openOutput(_ path: String?) throws -> Int32 {
        guard let path else { return try open("/dev/null", flags: O_WRONLY) }
        return try open(path, flags: O_WRONLY | O_CREAT | O_APPEND)
    }
}
