import System

/// Busy and total ticks of a set of CPUs from /proc/stat at one instant; two samples give how
/// busy those CPUs were in between. With the server pinned alone on its CPUs this includes what
/// per-process figures miss: softirq work the kernel ran for the server's sockets outside its
/// context (in ksoftirqd, or interrupting another task).
struct CPUSetSample {
    let cpus: [Int]
    let busy: Int
    let total: Int

    init(cpus: [Int]) {
        self.cpus = cpus
        var busy = 0, total = 0
        if !cpus.isEmpty, let text = try? FileSystem.readText("/proc/stat") {
            for line in text.split(separator: "\n") where line.hasPrefix("cpu") {
                let fields = line.split(separator: " ")
                guard let n = Int(fields[0].dropFirst(3)), cpus.contains(n) else { continue }
                // user nice system idle iowait irq softirq steal (guest time is inside user).
                let v = fields.dropFirst().prefix(8).compactMap { Int($0) }
                guard v.count == 8 else { continue }
                total += v.reduce(0, +)
                busy += v.reduce(0, +) - v[3] - v[4]
            }
        }
        self.busy = busy
        self.total = total
    }

    /// Busy share between `start` and this sample, in percent of one core (200 = two cores busy).
    func busyPercent(since start: CPUSetSample) -> Double? {
        guard !cpus.isEmpty, total > start.total else { return nil }
        return Double(busy - start.busy) / Double(total - start.total) * 100 * Double(cpus.count)
    }
}
