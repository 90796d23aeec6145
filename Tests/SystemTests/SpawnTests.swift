import Glibc
import XCTest
@testable import System

/// Children start with the signal mask they are given: a signal sent before a child set up its
/// signalfd waits for it instead of killing it (workers read SIGQUIT and friends that way).
final class SpawnTests: XCTestCase {
    private func spawnSleep(blocked: [Int32]) throws -> pid_t {
        let (_, theirs) = try MessageChannel.socketPair()
        return try Spawn.process(path: "/bin/sleep", arguments: ["sleep", "0.3"], environment: [:], channel: theirs,
                                 blockedSignals: blocked)
    }

    private func waitExit(_ pid: pid_t) -> Spawn.Exit? {
        for _ in 0..<300 {
            if let e = Spawn.reap().first(where: { $0.pid == pid }) { return e }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        return nil
    }

    func testASignalSentAtOnceWaitsWhenBlocked() throws {
        let pid = try spawnSleep(blocked: [SIGQUIT, SIGHUP])
        XCTAssertEqual(kill(pid, SIGQUIT), 0)
        let exit = waitExit(pid)
        XCTAssertEqual(exit?.code, 0, "the child must not die of a signal it blocks: \(String(describing: exit))")
    }

    func testWithoutBlockingTheDefaultActionApplies() throws {
        let pid = try spawnSleep(blocked: [])
        XCTAssertEqual(kill(pid, SIGHUP), 0)
        XCTAssertEqual(waitExit(pid)?.signal, SIGHUP)
    }
}
