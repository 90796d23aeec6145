import System

/// What a worker reports about itself (the API's summaries, `/readyz`), kept up to date by
/// `Server`: whether it drains, since when it runs, its CPU and the machine's.
final class WorkerStatus {
    /// Wall-clock ms of the start.
    let startedMs = Clock.wallMs()
    /// True once a graceful quit started: /readyz answers 503 so load balancers drain us, and
    /// edge streams are pulled without a claim (siblings must not depend on this worker).
    var isDraining = false
    /// This process's CPU use, sampled every second.
    private(set) var cpu = CPUSampler()
    /// The machine's CPU use (0...1), sampled every second.
    private(set) var systemCPUPercent = 0.0
    private var lastSystemTicks = ProcStats.systemTicks()

    /// The once-a-second sample.
    func sample() {
        cpu.sample()
        let t = ProcStats.systemTicks()
        if t.total > lastSystemTicks.total {
            systemCPUPercent = 1 - Double(t.idle - lastSystemTicks.idle) / Double(t.total - lastSystemTicks.total)
        }
        lastSystemTicks = t
    }
}
