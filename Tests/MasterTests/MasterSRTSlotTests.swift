import Core
import Glibc
import System
import XCTest
@testable import Master

/// Which SRT slot socket each worker gets (docs/srt.md): the group of sockets on the port must
/// not change, so a respawn takes the dead worker's slot and an upgrade's generation takes
/// every slot again.
final class MasterSRTSlotTests: XCTestCase {
    func master() throws -> Master {
        let loaded = try ConfigLoader.parse("listen 1935; worker_processes 2; srt_server { enabled on; listen 10090; }")
        let m = try Master(config: loaded.config, directives: loaded.directives, configPath: nil, environment: [:])
        // Slots as `run()` binds them, without sockets.
        for spec in m.srtSlotSpecs(for: loaded.config) { m.listeners[spec] = FileDescriptor(adopting: -1) }
        return m
    }

    func testSlotsFollowWorkersAcrossRespawnAndUpgrade() throws {
        let m = try master()
        XCTAssertEqual(m.listeners.keys.compactMap(\.srtSlot).sorted(), [0, 1])
        for (pid, slot) in [(pid_t(100), 0), (pid_t(101), 1)] {
            XCTAssertEqual(m.freeSRTSlot(generation: 1), slot)
            m.srtSlotOf[pid] = slot
            m.machine.workerSpawned(.init(pid: pid, generation: 1, startedMs: 0), for: .start)
        }
        // A third worker of the generation (worker_processes grew) gets none.
        XCTAssertNil(m.freeSRTSlot(generation: 1))
        // Worker 100 died: its replacement takes slot 0.
        // (Only its `forget` is performed: the respawn would start a process.)
        let actions = m.machine.workerExited(Spawn.Exit(pid: 100, code: nil, signal: SIGKILL), now: 0)
        m.perform(actions.filter { if case .forget = $0 { return true } else { return false } })
        XCTAssertNil(m.srtSlotOf[100])
        XCTAssertEqual(m.freeSRTSlot(generation: 1), 0)
        // A new generation takes the slots from 0 again.
        XCTAssertEqual(m.freeSRTSlot(generation: 2), 0)
        // Each worker is sent the TCP listeners and its own slot only.
        let specs = Array(m.listeners.keys) + [ListenerSpec(address: ListenAddress(port: 1935), kind: .rtmp)]
        XCTAssertEqual(Master.listeners(specs, forSlot: 1).compactMap(\.srtSlot), [1])
        XCTAssertEqual(Master.listeners(specs, forSlot: 1).count, 2)
        XCTAssertEqual(Master.listeners(specs, forSlot: nil).compactMap(\.srtSlot), [])
    }

    func testSlotsKeepTheirCountWhenWorkerProcessesChanges() throws {
        let m = try master()
        var config = m.config
        config.workerProcesses = .count(4)
        XCTAssertEqual(m.srtSlotSpecs(for: config).count, 2, "same port: the slots stay")
        config.srtServer.port = 10091
        XCTAssertEqual(m.srtSlotSpecs(for: config).count, 4, "a new port: slots for the workers now")
    }
}
