import Core
import Glibc
import Protocol
import System
import XCTest
@testable import Master

/// The master's decisions, driven without processes: workers are pids the test makes up, exits
/// and messages are events, time is passed in, timers fire when the test says so.
final class MasterStateMachineTests: XCTestCase {
    typealias Action = MasterStateMachine.Action

    func machine(workers: Int = 2, forceGraceQuit: Bool = false) -> MasterStateMachine {
        var s = MasterStateMachine.Settings()
        s.workers = workers
        s.graceStartWaitMs = 2300
        s.forceGraceQuit = forceGraceQuit
        return MasterStateMachine(settings: s, executable: "/usr/local/srs/objs/srs")
    }

    /// Workers `pids` of the current generation, started at `now`, ready unless told otherwise.
    func spawn(_ m: inout MasterStateMachine, _ pids: [pid_t], now: Int64 = 0, ready: Bool = true,
               for purpose: MasterStateMachine.SpawnPurpose = .start) {
        for pid in pids {
            m.workerSpawned(.init(pid: pid, generation: m.generation, startedMs: now), for: purpose)
            if ready { _ = m.message(.ready(relay: "@r\(pid)"), from: pid) }
        }
    }

    func signals(_ actions: [Action]) -> [pid_t: Int32] {
        var out: [pid_t: Int32] = [:]
        for case .signal(let pid, let sig) in actions { out[pid] = sig }
        return out
    }

    func schedules(_ actions: [Action]) -> [MasterStateMachine.Timer: Int64] {
        var out: [MasterStateMachine.Timer: Int64] = [:]
        for case .schedule(let t, let ms) in actions { out[t] = ms }
        return out
    }

    func spawns(_ actions: [Action]) -> [(count: Int, generation: Int, purpose: MasterStateMachine.SpawnPurpose)] {
        var out: [(Int, Int, MasterStateMachine.SpawnPurpose)] = []
        for case .spawn(let n, let g, let p) in actions { out.append((n, g, p)) }
        return out
    }

    func logs(_ actions: [Action], _ level: LogLevel) -> [String] {
        actions.compactMap { if case .log(level, let line) = $0 { return line } else { return nil } }
    }

    func crash(_ pid: pid_t) -> Spawn.Exit { Spawn.Exit(pid: pid, code: nil, signal: SIGKILL) }
    func exitCode(_ pid: pid_t, _ code: Int32) -> Spawn.Exit { Spawn.Exit(pid: pid, code: code, signal: nil) }

    // MARK: - Respawn

    func testADeadWorkerIsRespawnedAtOnceThenWithBackoff() {
        var m = machine(workers: 1)
        var pid: pid_t = 100
        spawn(&m, [pid])
        var delays: [Int64] = []
        for i in 0..<9 {
            let actions = m.workerExited(crash(pid), now: Int64(i) * 1000)
            XCTAssertTrue(actions.contains(.forget(pid, quotaRow: nil)))
            XCTAssertEqual(logs(actions, .warn), ["master: worker \(pid) died (killed by signal 9), respawn"])
            guard let delay = schedules(actions)[.respawn] else { return XCTFail("\(actions)") }
            delays.append(delay)
            let fired = m.timerFired(.respawn)
            XCTAssertEqual(spawns(fired).map(\.count), [1])
            XCTAssertEqual(spawns(fired).map(\.purpose), [.respawn])
            pid += 1
            spawn(&m, [pid], now: Int64(i) * 1000, for: .respawn)
        }
        XCTAssertEqual(delays, [0, 100, 200, 400, 800, 1600, 3200, 5000, 5000])
        // Crashes older than a minute no longer count.
        let later = m.workerExited(crash(pid), now: 200_000)
        XCTAssertEqual(schedules(later)[.respawn], 0)
    }

    func testAFatalExitIsNotRespawnedAndWithNoWorkerLeftTheMasterQuits() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        let first = m.workerExited(exitCode(1, WorkerProcess.fatalExitCode), now: 0)
        XCTAssertEqual(logs(first, .error), ["master: worker 1 exited with fatal code 2, not respawned"])
        XCTAssertNil(schedules(first)[.respawn])
        XCTAssertFalse(first.contains(.exit))
        let second = m.workerExited(exitCode(2, WorkerProcess.fatalExitCode), now: 0)
        XCTAssertEqual(logs(second, .error).last, "master: no worker left, quit")
        XCTAssertEqual(second.suffix(2), [.log(.trace, "srs fast quit"), .exit])
        XCTAssertEqual(m.exitCode, 1)
    }

    func testNoRespawnOnceQuitting() {
        var m = machine(workers: 1)
        spawn(&m, [1])
        _ = m.workerExited(crash(1), now: 0)
        _ = m.signal(SIGQUIT)
        XCTAssertEqual(m.timerFired(.respawn), [])
    }

    func testTheChildrenOfOthersAreIgnored() {
        var m = machine(workers: 1)
        spawn(&m, [1])
        XCTAssertEqual(m.workerExited(crash(99), now: 0), [])
        XCTAssertEqual(m.message(.publish(key: StreamKey(vhost: "v", app: "a", stream: "s")), from: 99), [])
    }

    // MARK: - Quit

    func testGracefulQuitSignalsEveryWorkerClosesListenersAfterTheGraceWaitAndExitsAfterTheLast() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        let actions = m.signal(SIGQUIT)
        XCTAssertEqual(logs(actions, .trace), ["sig=3, user start gracefully quit"])
        XCTAssertEqual(signals(actions), [1: SIGQUIT, 2: SIGQUIT])
        XCTAssertEqual(schedules(actions), [.closeListeners: 2300])
        XCTAssertFalse(actions.contains(.closeListeners), "the listeners serve until grace_start_wait passed")
        XCTAssertEqual(m.signal(SIGQUIT), [.log(.trace, "sig=3, user start gracefully quit")], "once")
        XCTAssertEqual(m.timerFired(.closeListeners), [.closeListeners, .stopIngests],
                       "ingests publish until the listeners close")
        XCTAssertEqual(m.workerExited(exitCode(1, 0), now: 5000), [.forget(1, quotaRow: nil), .log(.trace, "master: worker 1 quit (exit code 0)")])
        XCTAssertEqual(m.workerExited(exitCode(2, 0), now: 6000),
                       [.forget(2, quotaRow: nil), .log(.trace, "master: worker 2 quit (exit code 0)"),
                        .log(.trace, "srs gracefully quit"), .exit])
        XCTAssertEqual(m.exitIfDone(), [], "exits once")
        XCTAssertEqual(m.exitCode, 0)
    }

    func testAQuitEndsOnceTheIngestsAreGoneToo() {
        var m = machine(workers: 1)
        spawn(&m, [1])
        m.ingestsIdle = false
        _ = m.signal(SIGQUIT)
        XCTAssertFalse(m.workerExited(exitCode(1, 0), now: 0).contains(.exit), "an ingest's ffmpeg still runs")
        m.ingestsIdle = true
        XCTAssertEqual(m.exitIfDone(), [.log(.trace, "srs gracefully quit"), .exit])
    }

    func testTermIsFastUnlessForceGraceQuit() {
        var fast = machine(workers: 2)
        spawn(&fast, [1, 2])
        let actions = fast.signal(SIGTERM)
        XCTAssertEqual(actions.first, .log(.trace, "sig=15, user terminate program, fast quit"))
        XCTAssertTrue(actions.contains(.closeListeners))
        XCTAssertTrue(actions.contains(.stopIngests))
        XCTAssertEqual(signals(actions), [1: SIGTERM, 2: SIGTERM])
        XCTAssertEqual(schedules(actions), [.killStragglers: 5000])
        XCTAssertEqual(fast.signal(SIGINT), [.log(.trace, "sig=2, user terminate program, fast quit")], "once")
        _ = fast.workerExited(exitCode(1, 0), now: 0)
        let kill = fast.timerFired(.killStragglers)
        XCTAssertEqual(signals(kill), [2: SIGKILL])
        XCTAssertEqual(logs(kill, .warn), ["master: worker 2 still alive 5000ms after TERM, kill it"])

        var graceful = machine(workers: 1, forceGraceQuit: true)
        spawn(&graceful, [1])
        let term = graceful.signal(SIGTERM)
        XCTAssertEqual(term.first, .log(.trace, "force gracefully quit, signo=15"))
        XCTAssertEqual(signals(term), [1: SIGQUIT])
        XCTAssertFalse(graceful.signal(SIGTERM).contains(.closeListeners), "a second TERM does not cut the drain short")
    }

    func testSignalsForTheMasterItself() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        XCTAssertEqual(m.signal(SIGCHLD), [.reap])
        XCTAssertEqual(m.signal(SIGHUP), [.log(.trace, "sig=1, user reload config"), .reload])
        let usr1 = m.signal(SIGUSR1)
        XCTAssertEqual(usr1.first, .reopenLog)
        XCTAssertEqual(signals(usr1), [1: SIGUSR1, 2: SIGUSR1])
        XCTAssertEqual(m.signal(SIGWINCH), [])
    }

    // MARK: - Hot upgrade

    /// An upgrade in progress with generation 2's workers `new` spawned.
    func upgrading(_ m: inout MasterStateMachine, new: [pid_t]) {
        let actions = m.signal(SIGUSR2)
        XCTAssertEqual(spawns(actions).map(\.generation), [2])
        XCTAssertEqual(spawns(actions).map(\.purpose), [.upgrade])
        spawn(&m, new, now: 10, ready: false, for: .upgrade)
        let started = m.spawnFinished(.upgrade, started: new.count, failures: [])
        XCTAssertEqual(schedules(started), [.upgradeDeadline(generation: 2): 15_000])
    }

    func testAnUpgradeRetiresTheOldGenerationOnceEveryNewWorkerServes() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        upgrading(&m, new: [11, 12])
        XCTAssertEqual(m.signal(SIGUSR2), [.log(.trace, "sig=12, user start hot upgrade"), .log(.warn, "upgrade: already in progress")])
        let first = m.message(.ready(relay: "@r11"), from: 11)
        XCTAssertFalse(first.contains(.reexec), "one new worker still starts")
        XCTAssertTrue(signals(first).isEmpty)
        let second = m.message(.ready(relay: "@r12"), from: 12)
        XCTAssertEqual(signals(second), [1: SIGWINCH, 2: SIGWINCH])
        XCTAssertEqual(second.last, .reexec)
        XCTAssertEqual(m.workers[1]?.retiring, true)
        XCTAssertEqual(m.workers[11]?.retiring, false)
        // The deadline of the finished upgrade does nothing; old workers leaving are not respawned.
        XCTAssertEqual(m.timerFired(.upgradeDeadline(generation: 2)), [])
        XCTAssertNil(schedules(m.workerExited(exitCode(1, 0), now: 100))[.respawn])
        XCTAssertEqual(m.upgradeFailures, 0)
    }

    func testAnUpgradeRollsBackWhenANewWorkerExits() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        upgrading(&m, new: [11, 12])
        let actions = m.workerExited(exitCode(11, WorkerProcess.fatalExitCode), now: 100)
        XCTAssertEqual(signals(actions), [12: SIGTERM])
        XCTAssertEqual(logs(actions, .error), ["upgrade failed, rolled back, the running workers keep serving: new worker 11 exited (exit code 2)"])
        XCTAssertNil(schedules(actions)[.respawn])
        XCTAssertEqual(m.workers[1]?.retiring, false, "the old generation keeps serving")
        XCTAssertEqual(m.timerFired(.upgradeDeadline(generation: 2)), [])
        // The next upgrade is generation 3.
        XCTAssertEqual(spawns(m.signal(SIGUSR2)).map(\.generation), [3])
    }

    func testAnUpgradeRollsBackWhenTheNewWorkersAreLate() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        upgrading(&m, new: [11, 12])
        _ = m.message(.ready(relay: "@r11"), from: 11)
        let actions = m.timerFired(.upgradeDeadline(generation: 2))
        XCTAssertEqual(signals(actions), [11: SIGTERM, 12: SIGTERM])
        XCTAssertEqual(logs(actions, .error), ["upgrade failed, rolled back, the running workers keep serving: new workers not ready within 15000ms"])
        // Counted for the exporter (srs_upgrade_failures_total).
        XCTAssertEqual(m.upgradeFailures, 1)
    }

    func testAnUpgradeRollsBackWhenTheNewBinaryCannotStart() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        _ = m.signal(SIGUSR2)
        spawn(&m, [11], ready: false, for: .upgrade)
        let actions = m.spawnFinished(.upgrade, started: 1, failures: ["posix_spawn: No such file or directory"])
        XCTAssertEqual(signals(actions), [11: SIGTERM])
        XCTAssertEqual(logs(actions, .error), ["upgrade failed, rolled back, the running workers keep serving: "
                                               + "cannot start /usr/local/srs/objs/srs: posix_spawn: No such file or directory"])
    }

    func testARespawnDuringAnUpgradeIsNotWaitedFor() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        upgrading(&m, new: [11, 12])
        _ = m.workerExited(crash(1), now: 100)
        spawn(&m, [3], ready: false, for: .respawn)
        _ = m.message(.ready(relay: "@r11"), from: 11)
        XCTAssertEqual(m.message(.ready(relay: "@r12"), from: 12).last, .reexec)
    }

    func testNoUpgradeDuringAQuit() {
        var m = machine(workers: 1)
        spawn(&m, [1])
        _ = m.signal(SIGQUIT)
        XCTAssertEqual(spawns(m.signal(SIGUSR2)).count, 0)
    }

    // MARK: - Pool size

    func testResizeStartsTheMissingAndRetiresTheYoungest() {
        var m = machine(workers: 3)
        spawn(&m, [1], now: 0)
        spawn(&m, [2], now: 10)
        spawn(&m, [3], now: 20)
        m.settings.workers = 1
        let shrink = m.resize()
        XCTAssertEqual(signals(shrink), [2: SIGQUIT, 3: SIGQUIT])
        XCTAssertEqual(m.activeWorkers.map(\.pid), [1])
        m.settings.workers = 2
        XCTAssertEqual(spawns(m.resize()).map(\.count), [1])
        XCTAssertEqual(m.resize().count, 1, "still one missing until it is spawned")
    }

    // MARK: - Registry and API gathers

    func testTheFirstPublisherOwnsAStreamAndADeadWorkersStreamsGo() {
        var m = machine(workers: 2)
        spawn(&m, [1, 2])
        let key = StreamKey(vhost: "__defaultVhost__", app: "live", stream: "s")
        let published = m.message(.publish(key: key), from: 1)
        let registry = [PublishedStream(key: key, worker: 1, relay: "@r1")]
        let broadcasts = published.compactMap { a -> [pid_t]? in
            if case .send(.streams(let list), let to) = a, list == registry { return to } else { return nil }
        }
        XCTAssertEqual(Set(broadcasts.flatMap { $0 }), [1, 2])
        let conflict = m.message(.publish(key: key), from: 2)
        XCTAssertTrue(conflict.contains(.send(.conflict(key: key), to: [2])))
        XCTAssertEqual(m.streams[key]?.worker, 1)
        XCTAssertEqual(m.message(.unpublish(key: key), from: 2), [], "not its stream")
        let exit = m.workerExited(crash(1), now: 0)
        XCTAssertTrue(exit.contains(.send(.streams([]), to: [2])))
        XCTAssertNil(m.streams[key])
    }

    func testAGatherAnswersWithEveryReadyWorkersPart() {
        var m = machine(workers: 3)
        spawn(&m, [1, 2])
        spawn(&m, [3], ready: false)
        let asked = m.message(.gather(id: 7, query: .streams), from: 1)
        guard case .send(.collect(let gid, .streams), let to)? = asked.first(where: { if case .send = $0 { return true } else { return false } })
        else { return XCTFail("\(asked)") }
        XCTAssertEqual(Set(to), [1, 2], "a worker still starting is not asked")
        XCTAssertEqual(schedules(asked), [.gatherDeadline(id: gid): 1000])
        XCTAssertEqual(m.message(.collected(id: gid, data: .int(1)), from: 1), [])
        XCTAssertEqual(m.message(.collected(id: gid, data: .int(2)), from: 2), [.send(.gathered(id: 7, parts: [.int(1), .int(2)]), to: [1])])
        XCTAssertEqual(m.timerFired(.gatherDeadline(id: gid)), [])
    }

    func testTheMasterAnswersForItsIngestsInProcessesGathers() {
        var m = machine(workers: 1)
        spawn(&m, [1])
        let ingests: JSONValue = .array([["kind": "ingest"]])
        let asked = m.message(.gather(id: 3, query: .processes), from: 1, masterPart: ingests)
        let gid = schedules(asked).keys.compactMap { if case .gatherDeadline(let id) = $0 { return id } else { return nil } }.first!
        XCTAssertEqual(m.message(.collected(id: gid, data: .array([])), from: 1), [.send(.gathered(id: 3, parts: [ingests, .array([])]), to: [1])])
    }

    func testAGatherAnswersWithoutWorkersThatDieOrAreSlow() {
        var m = machine(workers: 3)
        spawn(&m, [1, 2, 3])
        let asked = m.message(.gather(id: 1, query: .summary), from: 1)
        let gid = schedules(asked).keys.compactMap { if case .gatherDeadline(let id) = $0 { return id } else { return nil } }.first!
        _ = m.message(.collected(id: gid, data: .int(1)), from: 1)
        // Worker 2 dies: the gather stops waiting for it.
        XCTAssertFalse(m.workerExited(crash(2), now: 0).contains { if case .send(.gathered, _) = $0 { return true } else { return false } })
        // Worker 3 never answers: the deadline answers with what there is.
        let late = m.timerFired(.gatherDeadline(id: gid))
        XCTAssertEqual(logs(late, .warn), ["master: api gather timed out waiting for workers [3]"])
        XCTAssertEqual(late.last, .send(.gathered(id: 1, parts: [.int(1)]), to: [1]))
    }
}
