import XCTest
@testable import System

final class ProcessSupportTests: XCTestCase {
    func testCgroupQuotaRoundsUp() {
        XCTAssertEqual(CPUBudget.quotaCPUs { $0 == "/sys/fs/cgroup/cpu.max" ? "150000 100000\n" : nil }, 2)
        XCTAssertNil(CPUBudget.quotaCPUs { $0 == "/sys/fs/cgroup/cpu.max" ? "max 100000\n" : nil })
        XCTAssertEqual(CPUBudget.quotaCPUs {
            ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "300000\n", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"][$0]
        }, 3)
        XCTAssertNil(CPUBudget.quotaCPUs {
            ["/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n", "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n"][$0]
        })
        XCTAssertGreaterThanOrEqual(CPUBudget.available(), 1)
    }

    func testInotifyEventsAreSplit() {
        // Two events: wd 1, IN_MOVED_TO, name "..data" padded to 16; wd 1, IN_MODIFY, no name.
        var bytes: [UInt8] = []
        func u32(_ v: UInt32) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        u32(1); u32(0x80); u32(0); u32(16)
        bytes += Array("..data".utf8) + [UInt8](repeating: 0, count: 10)
        u32(1); u32(0x2); u32(0); u32(0)
        let events = DirectoryWatcher.parse(bytes[...])
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events[0].name, "..data")
        XCTAssertEqual(events[0].mask, 0x80)
        XCTAssertEqual(events[1].name, "")
        XCTAssertEqual(DirectoryWatcher.parse(bytes[0..<20]).count, 0, "a truncated event is not reported")
    }

    func testDirectoryWatcherSeesRenames() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let loop = try EventLoop()
        var seen: [String] = []
        let watcher = try DirectoryWatcher(directory: dir.path, loop: loop) { name, _, _ in
            seen.append(name)
            if name == "target" { loop.stop() }
        }
        try "x".write(to: dir.appendingPathComponent("tmp"), atomically: false, encoding: .utf8)
        XCTAssertEqual(rename(dir.appendingPathComponent("tmp").path, dir.appendingPathComponent("target").path), 0)
        loop.schedule(afterMs: 2000) { loop.stop() }
        loop.run()
        withExtendedLifetime(watcher) {}
        XCTAssertTrue(seen.contains("target"), "\(seen)")
    }

    func testMessageChannelCarriesFramesAndDescriptors() throws {
        let loop = try EventLoop()
        let (a, b) = try MessageChannel.socketPair()
        let left = try MessageChannel(fd: a, loop: loop)
        let right = try MessageChannel(fd: b, loop: loop)
        var got: [[UInt8]] = []
        var passed: [FileDescriptor] = []
        right.onMessage = { bytes in
            got.append(bytes)
            if bytes == [1] { passed = right.takeFDs(1) }
            if got.count == 3 { loop.stop() }
        }
        var p: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&p), 0)
        let writeEnd = FileDescriptor(adopting: p[1])
        left.send([1], fds: [writeEnd])
        left.send([UInt8](repeating: 7, count: 200_000))
        left.send([])
        loop.schedule(afterMs: 3000) { loop.stop() }
        loop.run()
        XCTAssertEqual(got.map(\.count), [1, 200_000, 0])
        XCTAssertEqual(passed.count, 1)
        // The passed descriptor is the pipe's write end: what we write there comes out of p[0].
        var byte: UInt8 = 42
        XCTAssertEqual(write(passed[0].rawValue, &byte, 1), 1)
        var out: UInt8 = 0
        XCTAssertEqual(read(p[0], &out, 1), 1)
        XCTAssertEqual(out, 42)
        close(p[0])
        withExtendedLifetime(left) {}
    }
}
