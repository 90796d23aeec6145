import Foundation
import Kernel
import Protocol
import System
import XCTest
@testable import App
import Core
#if canImport(Glibc)
import Glibc
#endif

/// The HLS writer on a disk that fails and comes back: segments are dropped without gaps in the
/// playlist's numbering, the first segment after the gap is a discontinuity, the playlist never
/// lists a segment that is not on disk, and the episode is logged twice, not once per segment.
final class HLSWriterDiskFaultTests: XCTestCase {
    /// Real files in a temp directory, and writes that fail with ENOSPC when `failing` says so.
    final class FaultyDisk {
        var failing: (String) -> Bool = { _ in false }
        var storage: HLSStorage {
            HLSStorage(makeDirectories: { try FileSystem.makeDirectories($0) },
                       writeAtomically: { [self] path, bytes in
                           if failing(path) { throw SystemError("write", errno: ENOSPC, context: path + ".tmp") }
                           try FileSystem.writeAtomically(path, bytes)
                       },
                       // A segment's pieces go to "<name>.tmp": `failing` is asked about "<name>".
                       append: { [self] path, bytes in
                           if failing(String(path.dropLast(4))) { throw SystemError("write", errno: ENOSPC, context: path) }
                           try FileSystem.append(path, bytes)
                       },
                       rename: { try FileSystem.rename($0, to: $1) },
                       remove: { FileSystem.remove($0) })
        }
    }

    private var dir = ""
    private var logPath = ""
    private var loop: EventLoop!
    private var nextMs: UInt32 = 0

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("hls-fault-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        logPath = dir + "/test.log"
        try Log.toFile(logPath)
        loop = try EventLoop()
        nextMs = 0
    }

    override func tearDown() {
        Log.toConsole()
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func writer(_ disk: FaultyDisk, path: String? = nil) -> HLSWriter {
        var hls = HLSConfig()
        hls.enabled = true
        hls.fragment = 1
        hls.window = 30
        hls.path = path ?? dir + "/html"
        let w = HLSWriter(key: StreamKey(vhost: "__defaultVhost__", app: "live", stream: "s"), config: hls, loop: loop, storage: disk.storage)
        w.sourcePublished()
        w.deliver(MediaMessage(type: 9, timestamp: 0, payload: PublisherInputFuzzTests.videoHeader))
        w.deliver(MediaMessage(type: 8, timestamp: 0, payload: PublisherInputFuzzTests.audioHeader))
        return w
    }

    /// `seconds` of 25 fps video (a keyframe each second) and audio: one segment closes per second.
    private func feed(_ w: HLSWriter, seconds: Int) {
        for _ in 0..<(seconds * 25) {
            let key = nextMs % 1000 == 0
            let nal: [UInt8] = [key ? 0x65 : 0x41] + [UInt8](repeating: 0x5A, count: 200)
            let length = withUnsafeBytes(of: UInt32(nal.count).bigEndian, Array.init)
            w.deliver(MediaMessage(type: 9, timestamp: nextMs, payload: [key ? 0x17 : 0x27, 0x01, 0, 0, 0] + length + nal))
            w.deliver(MediaMessage(type: 8, timestamp: nextMs + 5, payload: [0xAF, 0x01] + [UInt8](repeating: 0x21, count: 100)))
            nextMs += 40
        }
    }

    private func playlist() throws -> M3U8.Playlist {
        try M3U8.parse(FileSystem.readText(dir + "/html/live/s.m3u8"))
    }

    private func logLines(_ containing: String) -> [String] {
        ((try? FileSystem.readText(logPath)) ?? "").split(separator: "\n").map(String.init).filter { $0.contains(containing) }
    }

    /// Every listed segment is on disk and no temp file is left.
    private func assertConsistent(_ p: M3U8.Playlist, file: StaticString = #filePath, line: UInt = #line) {
        for s in p.segments {
            XCTAssertTrue(FileSystem.exists(dir + "/html/live/" + s.uri), "\(s.uri) listed but not on disk", file: file, line: line)
        }
        XCTAssertEqual(FileSystem.list(dir + "/html/live").filter { $0.hasSuffix(".tmp") }, [], file: file, line: line)
    }

    func testSegmentsLostOnAFullDiskLeaveADiscontinuityAndTwoLogLines() throws {
        let disk = FaultyDisk()
        let w = writer(disk)
        feed(w, seconds: 4)
        let before = try playlist()
        XCTAssertEqual(before.segments.map(\.uri), ["s-0.ts", "s-1.ts", "s-2.ts"])

        disk.failing = { _ in true }
        feed(w, seconds: 5)
        XCTAssertEqual(w.writeErrors, 5)
        XCTAssertEqual(try playlist(), before, "the playlist stays as it was while nothing can be written")

        disk.failing = { _ in false }
        feed(w, seconds: 3)
        let after = try playlist()
        // Numbering without gaps: the lost segments' numbers went to the next ones.
        XCTAssertEqual(after.segments.map(\.uri), ["s-0.ts", "s-1.ts", "s-2.ts", "s-3.ts", "s-4.ts", "s-5.ts"])
        XCTAssertEqual(after.segments.map(\.discontinuity), [true, false, false, true, false, false])
        XCTAssertEqual(after.mediaSequence, 0)
        assertConsistent(after)
        XCTAssertEqual(w.writeErrors, 5)

        let failed = logLines("hls: write ")
        XCTAssertEqual(failed.count, 1, "\(failed)")
        XCTAssertTrue(failed.first?.contains("/html/live/s-3.ts failed: write ") == true, "\(failed)")
        XCTAssertTrue(failed.first?.contains("No space left on device (errno=28)") == true, "\(failed)")
        XCTAssertTrue(failed.first?.contains("[Warn]") == true, "\(failed)")
        let recovered = logLines("writes again")
        XCTAssertEqual(recovered.count, 1, "\(recovered)")
        XCTAssertTrue(recovered.first?.contains("failed writes=5") == true, "\(recovered)")
        XCTAssertTrue(recovered.first?.contains("missed segments=5") == true, "\(recovered)")

        // A second episode is logged again.
        disk.failing = { _ in true }
        feed(w, seconds: 1)
        disk.failing = { _ in false }
        feed(w, seconds: 1)
        XCTAssertEqual(logLines("hls: write ").count, 2)
        XCTAssertEqual(logLines("writes again").count, 2)
        assertConsistent(try playlist())
    }

    /// Only the playlist fails: the segments are kept and listed by the next playlist written,
    /// with no discontinuity (no media was lost).
    func testFailedPlaylistIsWrittenAgainWithTheNextSegment() throws {
        let disk = FaultyDisk()
        let w = writer(disk)
        feed(w, seconds: 3)
        disk.failing = { $0.hasSuffix(".m3u8") }
        feed(w, seconds: 3)
        XCTAssertEqual(try playlist().segments.count, 2)
        XCTAssertEqual(w.writeErrors, 3)
        disk.failing = { _ in false }
        feed(w, seconds: 1)
        let p = try playlist()
        XCTAssertEqual(p.segments.map(\.uri), (0..<6).map { "s-\($0).ts" })
        XCTAssertEqual(p.segments.map(\.discontinuity), [true] + [Bool](repeating: false, count: 5))
        assertConsistent(p)
        XCTAssertEqual(logLines("keeps its old playlist").count, 1)
        XCTAssertTrue(logLines("writes again").first?.contains("failed writes=3") == true, logLines("writes again").description)
        XCTAssertTrue(logLines("writes again").first?.contains("missed segments=0") == true)
    }

    /// A directory that cannot be created (a file stands where it should be) is a write failure
    /// like the others, and the writer goes on once it can be created.
    func testDirectoryThatCannotBeCreatedIsAFaultTooOnTheRealDisk() throws {
        let disk = FaultyDisk()
        try FileSystem.makeDirectories(dir + "/html")
        try FileSystem.writeFile(dir + "/html/live", [1])
        let w = writer(disk)
        feed(w, seconds: 3)
        XCTAssertEqual(w.writeErrors, 2)
        XCTAssertEqual(logLines("hls: write ").count, 1)
        XCTAssertTrue(logLines("hls: write ").first?.contains("errno=\(ENOTDIR)") == true, logLines("hls: write ").description)
        FileSystem.remove(dir + "/html/live")
        feed(w, seconds: 2)
        let p = try playlist()
        XCTAssertEqual(p.segments.map(\.uri), ["s-0.ts", "s-1.ts"])
        XCTAssertEqual(p.segments.first?.discontinuity, true)
        assertConsistent(p)
        XCTAssertEqual(logLines("writes again").count, 1)
    }
}
