import Foundation
import Kernel
import Protocol
import XCTest
@testable import App
import Core
@testable import System

final class HLSPathTemplateTests: XCTestCase {
    func render(_ template: String, app: String, stream: String) -> String {
        HLSPathTemplate.render(template: template, vhost: "v", app: app, stream: stream, seq: 3, timestampMs: 0, year: 2024,
                               month: 1, day: 2, hour: 3, minute: 4, second: 5, millisecond: 6, duration: 1.5)
    }

    func testFilesStayInsideHLSPath() {
        XCTAssertEqual(HLSPathTemplate.file(root: "./objs/nginx/html", render("[app]/[stream]-[seq].ts", app: "live", stream: "s")),
                       "./objs/nginx/html/live/s-3.ts")
        // Names that climb or start at / are held inside by the rendering and by ConfinedPath.
        XCTAssertEqual(HLSPathTemplate.file(root: "/srv/hls", render("[app]/[stream].m3u8", app: "../../etc", stream: "/passwd")),
                       "/srv/hls/etc/passwd.m3u8")
        // A NUL would have cut the path the kernel sees at `victim.html`: no file at all.
        XCTAssertNil(HLSPathTemplate.file(root: "./html", render("[app]/[stream].m3u8", app: "victim.html\0", stream: "x")))
        XCTAssertNil(HLSPathTemplate.file(root: "./html", render("[app]/[stream].m3u8", app: "live", stream: "ctl.m3u8\0")))
    }

    /// Even if a NUL name got past the entry checks, the writer writes nothing anywhere.
    func testAWriterWithANULNameWritesNoFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hls-nul-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = Data("victim\n".utf8)
        try victim.write(to: dir.appendingPathComponent("victim.html"))
        let loop = try EventLoop()
        var hls = HLSConfig()
        hls.enabled = true
        hls.fragment = 0.2
        hls.path = dir.path
        var rng = FastRandom(seed: 3)
        // An honest stream beside them shows the writer does write.
        for (app, stream) in [("victim.html\0", "x"), ("live", "ctl.m3u8\0"), ("live", "ok")] {
            let source = LiveSource(key: StreamKey(vhost: "v", app: app, stream: stream), now: 0)
            XCTAssertTrue(source.publish(cid: "c", now: 0))
            let writer = HLSWriter(key: source.key, config: hls, loop: loop)
            writer.sourcePublished()
            source.addConsumer(writer, now: 0)
            for m in PublisherInputFuzzTests.validMessages(&rng) { source.onMessage(m) }
            source.unpublish(now: 0)
            writer.flush()
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["live", "victim.html"])
        let live = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("live").path)
        XCTAssertTrue(live.contains("ok.m3u8"), "\(live)")
        XCTAssertTrue(live.allSatisfy { $0.hasPrefix("ok") }, "\(live)")
        XCTAssertEqual(FileManager.default.contents(atPath: dir.appendingPathComponent("victim.html").path), victim)
    }
}
