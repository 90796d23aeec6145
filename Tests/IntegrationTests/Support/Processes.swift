import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What /proc says about processes (the master's workers, their titles).
enum Processes {
    /// Pids whose parent is `pid`.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { parent(of: $0) == pid }.sorted()
    }

    static func parent(of pid: Int32) -> Int32? { stat(of: pid)?.parent }

    /// From /proc/PID/stat: the command name, the state (R, S, Z = zombie...) and the parent.
    static func stat(of pid: Int32) -> (name: String, state: String, parent: Int32)? {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = s.firstIndex(of: "("), let close = s.lastIndex(of: ")") else { return nil }
        let fields = s[s.index(after: close)...].split(separator: " ")
        guard fields.count > 1, let parent = Int32(fields[1]) else { return nil }
        return (String(s[s.index(after: open)..<close]), String(fields[0]), parent)
    }

    /// The command line as ps shows it (the process title).
    static func title(of pid: Int32) -> String {
        guard let d = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return d.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }
}

extension Processes {
    /// CPU seconds (user + system) a process used so far, from /proc/PID/stat.
    static func cpuSeconds(of pid: Int32) -> Double {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = s.lastIndex(of: ")") else { return 0 }
        let fields = s[s.index(after: close)...].split(separator: " ")
        // After the name: state is field 3 of stat(5); utime and stime are 14 and 15.
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
