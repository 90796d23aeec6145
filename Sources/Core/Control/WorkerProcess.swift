import Glibc

/// How the master starts a worker and how the worker answers, besides the channel's messages:
/// `srs` is a worker when its environment has `environmentKey` (its value is the worker's
/// generation); its channel is fd `channelFD`; it starts with `signals` blocked (it reads them
/// from a signalfd, so one sent during start-up waits for it instead of killing it); and its exit
/// code tells the master whether to start it again.
public enum WorkerProcess {
    /// The environment variable that makes `srs` a worker.
    public static let environmentKey = "SWIFTSRS_WORKER"
    /// The channel's fd in the worker.
    public static let channelFD: Int32 = 3
    /// The signals a worker reads from its signalfd (SIGCHLD: its transcode and exec children).
    public static let signals: [Int32] = [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD]
    /// Exit code of a worker that cannot run (its config was refused): never respawned
    /// (nginx's convention).
    public static let fatalExitCode: Int32 = 2
}
