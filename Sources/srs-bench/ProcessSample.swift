import System

/// CPU time (utime + stime from /proc/PID/stat) of a set of processes at one instant; two
/// samples give their CPU use in between, summed or per process. Pid 0 means this process.
struct ProcessSample {
    let pids: [Int]
    /// Ticks of each process, in the order of `pids`.
    let ticks: [Int]
    let atMs: Int64

    init(pids: [Int]) {
        self.pids = pids
        ticks = pids.map { ProcStats.cpuTicks(pid: Self.procName($0)) }
        atMs = Clock.monotonicMs()
    }

    /// CPU use between `start` and this sample, in percent of one core (200 = two cores busy).
    /// Nil when no processes were sampled.
    func cpuPercent(since start: ProcessSample) -> Double? {
        guard !pids.isEmpty else { return nil }
        return perProcess(since: start).reduce(0) { $0 + $1.percent }
    }

    /// Each process's CPU use between `start` and this sample (master and workers apart: shows
    /// how evenly the workers share the load).
    func perProcess(since start: ProcessSample) -> [(pid: Int, percent: Double)] {
        guard atMs > start.atMs, start.pids == pids else { return [] }
        let seconds = Double(atMs - start.atMs) / 1000
        let hz = Double(max(1, ProcStats.clockTicksPerSecond))
        return zip(pids, zip(ticks, start.ticks)).map { pid, t in
            (pid, Double(t.0 - t.1) / hz / seconds * 100)
        }
    }

    /// Resident memory (VmRSS) of the processes, summed, in KiB.
    static func rssKB(pids: [Int]) -> Int {
        pids.reduce(0) { $0 + ProcStats.rssKB(pid: procName($1)) }
    }

    private static func procName(_ pid: Int) -> String { pid == 0 ? "self" : String(pid) }
}
