import System

/// What a worker reports about itself (the API's summaries, `/readyz`), kept up to date by
/// `Server`: whether it drains, since when it runs, its CPU and the machine's.
final class WorkerStatus {
    /// Wall-clock ms of the start.
    let startedMs = Clock.wallMs()
    /// This worker's generation (1, then one more per hot upgrade), from the master.
    var generation = 1
    /// This worker's index among the running workers (its row in the master's connection
    /// table: unique among live workers of every generation); nil without a master.
    var index: Int?
    /// Failed DVR writes on this worker (`srs_dvr_write_errors_total`): the DVR adds to it.
    var dvrWriteErrorsTotal: UInt64 = 0
    /// True once a graceful quit started: /readyz answers 503 so load balancers drain us, and
    /// edge streams are pulled without a claim (siblings must not depend on this worker).
    var isDraining = false
    /// This process's CPU use, sampled every second.
    private(set) var cpu = CPUSampler()
    /// The machine's CPU use (0...1), sampled every second.
    private(set) var systemCPUPercent = 0.0
    private var lastSystemTicks = ProcStats.systemTicks()
    /// The machine's disk throughput, sampled every second.
    private(set) var disk = DiskSampler()

    /// The once-a-second sample.
    func sample() {
        cpu.sample()
        disk.sample()
        let t = ProcStats.systemTicks()
        if t.total > lastSystemTicks.total {
            systemCPUPercent = 1 - Double(t.idle - lastSystemTicks.idle) / Double(t.total - lastSystemTicks.total)
        }
        lastSystemTicks = t
    }
}
