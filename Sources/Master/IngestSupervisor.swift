import Core
import Glibc
import Kernel
import Protocol
import System

/// The ingests of the server, run once per server by the master (not per worker): each job
/// (one ffmpeg per ingest engine) is kept running with `ProcessSupervisor`, stopped when a
/// reload removes or changes it, and carried across the master's re-exec by pid, so a hot
/// upgrade never runs a second copy. Its ffmpeg publishes into a worker like any client.
final class IngestSupervisor {
    let processes: ProcessSupervisor
    /// The jobs kept running, by id.
    private(set) var jobs: [String: IngestJob] = [:]

    init(loop: EventLoop, environment: [String: String]) {
        // Not the variables that make `srs` a worker or a resumed master.
        processes = ProcessSupervisor(loop: loop, environment: environment.filter { !$0.key.hasPrefix("SWIFTSRS_") }, clientCaused: false)
    }

    /// Runs the ingests of `config`: starts the new and changed ones, stops the removed and
    /// changed ones (a changed one starts once its old copy is gone).
    func apply(_ config: ServerConfig) {
        // The master makes `ff_log_dir` for every child, its own and its workers' (who share
        // its working directory); children never make directories from names.
        if config.ffLogDir != ChildLogPath.disabled {
            do { try FileSystem.makeDirectories(config.ffLogDir) } catch { Log.warn("ff_log_dir: \(error)") }
        }
        let (stop, start) = IngestJob.changes(from: Array(jobs.values), to: config.ingestJobs(time: Clock.calendarTime()))
        for id in stop {
            processes.stop(id, reason: "removed or changed by reload")
            jobs.removeValue(forKey: id)
        }
        for j in start {
            jobs[j.id] = j
            processes.start(id: j.id, label: j.label, command: j.command)
        }
    }

    /// Quit: every ingest gets SIGTERM (SIGKILL a second later); `done` runs when all are gone.
    func stopAll(done: @escaping () -> Void) {
        jobs.removeAll()
        processes.onIdle = done
        processes.stopAll(reason: "quit")
    }

    var isIdle: Bool { processes.isIdle }

    /// A child of the master that is not a worker ended.
    func reaped(_ exit: Spawn.Exit) {
        if !processes.reaped(exit) { Log.warn("master: unknown child \(exit.pid) reaped (\(exit))") }
    }

    // MARK: - Across the re-exec

    /// The running ffmpegs, for the master's state.
    var state: JSONValue {
        .array(processes.carried.map { c in
            ["id": .string(c.id), "pid": .int(Int64(c.pid)), "started_ms": .int(c.startedMs), "starts": .int(Int64(c.starts)),
             "stopping": .bool(c.stopping)]
        })
    }

    /// After the re-exec: takes over the ffmpegs the previous image ran (`state`) for the jobs
    /// of `config` (the same config), so none is started twice; any other is stopped.
    func adopt(_ state: JSONValue?, config: ServerConfig) {
        let wanted = Dictionary(config.ingestJobs(time: Clock.calendarTime()).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for e in state?.arrayValue ?? [] {
            guard let id = e["id"]?.stringValue, let pid = e["pid"]?.intValue else { continue }
            var c = ProcessSupervisor.Carried(id: id, pid: pid_t(truncatingIfNeeded: pid), startedMs: e["started_ms"]?.intValue ?? 0,
                                              starts: Int(e["starts"]?.intValue ?? 1), stopping: e["stopping"]?.boolValue ?? false)
            if let j = wanted[id], !c.stopping, jobs[id] == nil {
                jobs[id] = j
                processes.adopt(c, label: j.label, command: j.command)
            } else {
                c.stopping = true
                processes.adopt(c, label: "ingest \(id)", command: ChildCommand(program: "", arguments: []))
            }
        }
    }

    /// The master's part of `/api/v1/processes`.
    var json: JSONValue {
        .array(processes.infos.map { info in
            let job = jobs[info.id]
            return info.json([JSONMember("kind", "ingest"), JSONMember("owner", "master"),
                              JSONMember("vhost", .string(job?.vhost ?? "")), JSONMember("ingest", .string(job?.ingest ?? "")),
                              JSONMember("app", .string(job?.app ?? "")), JSONMember("stream", .string(job?.stream ?? ""))])
        })
    }
}
