import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Config reload: SIGHUP and inotify (K8s ConfigMap symlink swaps), applied live by the workers.
final class ReloadTests: XCTestCase {
    static func config(api: Bool, hls: Bool = false, extra: String = "") -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        worker_processes 2;
        \(extra)
        http_api { enabled \(api ? "on" : "off"); listen {API}; }
        vhost __defaultVhost__ {
            hls { enabled \(hls ? "on" : "off"); hls_fragment 1; hls_path ./html; }
        }
        """
    }

    func testSighupTurnsTheAPIOnAndOffWhileAPlayerPlays() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let srs = try SRSProcess(config: Self.config(api: false))
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/reload", seconds: 40)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "reload")
        defer { player.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 10) { player.keyframes > 0 })
        player.resetGap()
        XCTAssertFalse(TCPProbe.canConnect(port: srs.apiPort))

        try srs.rewriteConfig(Self.config(api: true))
        srs.signal(SIGHUP)
        XCTAssertTrue(Deadline.wait(timeout: 2) { TCPProbe.canConnect(port: srs.apiPort) }, srs.log)
        XCTAssertEqual(try HTTPClient.get(port: srs.apiPort, path: "/api/v1/versions").status, 200)
        XCTAssertTrue(srs.log.contains("reload http_api off=>on success."), srs.log)

        try srs.rewriteConfig(Self.config(api: false))
        srs.signal(SIGHUP)
        XCTAssertTrue(Deadline.wait(timeout: 2) { !TCPProbe.canConnect(port: srs.apiPort) }, srs.log)
        XCTAssertTrue(srs.log.contains("reload http_api on=>off success."), srs.log)

        XCTAssertNil(player.error)
        XCTAssertLessThan(player.maxGap, 1.0, "the player must not notice the reloads")
        XCTAssertEqual(Processes.children(of: srs.pid).count, 2, "reload keeps the workers")
    }

    func testInvalidConfigKeepsTheRunningOne() throws {
        let srs = try SRSProcess(config: Self.config(api: true))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.rewriteConfig("listen {RTMP};\nvhost __defaultVhost__ {\n  hls { hls_fragment zero; }\n}\n")
        srs.signal(SIGHUP)
        XCTAssertTrue(Deadline.wait(timeout: 2) {
            srs.log.contains("reload: invalid config, keep the running one: srs.conf:3: hls_fragment expects a number, got \"zero\"")
        }, srs.log)
        XCTAssertTrue(TCPProbe.canConnect(port: srs.apiPort))
        XCTAssertEqual(try HTTPClient.get(port: srs.apiPort, path: "/api/v1/versions").status, 200)
    }

    /// The master applies a reloaded log level and file to itself, as the workers do: its own
    /// lines (reload results, worker supervision) go to the new file.
    func testReloadMovesTheMastersLogToTheNewFile() throws {
        let srs = try SRSProcess(config: Self.config(api: false))
        defer { srs.stop() }
        try srs.waitListening()
        let file = srs.dir.appendingPathComponent("objs/moved.log").path
        try srs.rewriteConfig(Self.config(api: false).replacingOccurrences(
            of: "srs_log_tank console;", with: "srs_log_tank file; srs_log_file ./objs/moved.log;"))
        srs.signal(SIGHUP)
        func mastersReloadLine(_ text: String) -> Bool {
            text.split(separator: "\n").contains { $0.contains("][\(srs.pid)][") && $0.hasSuffix("] reload config success.") }
        }
        XCTAssertTrue(Deadline.wait(timeout: 5) {
            mastersReloadLine((try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
        }, "master lines must go to the reloaded log file; console:\n\(srs.log)")
        XCTAssertFalse(mastersReloadLine(srs.log), "the master kept logging to the console")
    }

    /// In a container `daemon on` in the file is turned off at start; a reload of the same file
    /// is not a change of `daemon` and must not warn about it.
    func testReloadInAContainerDoesNotWarnAboutDaemon() throws {
        let srs = try SRSProcess(config: Self.config(api: true).replacingOccurrences(
            of: "daemon off;", with: "daemon on; in_docker on;"))
        defer { srs.stop() }
        try srs.waitListening()
        XCTAssertTrue(srs.log.contains("daemon=off"), srs.log)
        srs.signal(SIGHUP)
        try srs.waitForLog("reload: config unchanged", timeout: 5)
        XCTAssertFalse(srs.log.contains("daemon and pid apply at start only"), srs.log)
    }

    func testHLSTurnsOnForAStreamBeingPublished() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let srs = try SRSProcess(config: Self.config(api: false, hls: false))
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/h", seconds: 40)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let m3u8 = srs.dir.appendingPathComponent("html/live/h.m3u8").path
        // HLS is off: no playlist appears while the stream goes on (the fixed time is the point).
        usleep(1_500_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: m3u8))
        try srs.rewriteConfig(Self.config(api: false, hls: true))
        srs.signal(SIGHUP)
        XCTAssertTrue(Deadline.wait(timeout: 8, every: 0.1) { FileManager.default.fileExists(atPath: m3u8) }, srs.log)
        XCTAssertTrue(srs.log.contains("vhost __defaultVhost__ reload hls off=>on success."), srs.log)
    }

    /// The kubelet updates a ConfigMap volume atomically: a new `..<timestamp>` directory, a
    /// `..data_tmp` symlink to it renamed over `..data`; the config file is a symlink through `..data`.
    func testConfigMapSymlinkSwapReloadsWithinOneSecond() throws {
        let srs = try SRSProcess(config: Self.config(api: false, extra: "inotify_auto_reload on;")) { dir, text in
            let conf = dir.appendingPathComponent("conf")
            let v1 = conf.appendingPathComponent("..2026_11_25_10_00_00.000000001")
            try FileManager.default.createDirectory(at: v1, withIntermediateDirectories: true)
            try text.write(to: v1.appendingPathComponent("srs.conf"), atomically: true, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: conf.appendingPathComponent("..data").path,
                                                       withDestinationPath: v1.lastPathComponent)
            try FileManager.default.createSymbolicLink(atPath: conf.appendingPathComponent("srs.conf").path,
                                                       withDestinationPath: "..data/srs.conf")
            return "conf/srs.conf"
        }
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog("auto reload: watching", timeout: 2)
        XCTAssertFalse(TCPProbe.canConnect(port: srs.apiPort))

        let conf = srs.dir.appendingPathComponent("conf")
        let v2 = conf.appendingPathComponent("..2026_11_25_10_05_00.000000002")
        try FileManager.default.createDirectory(at: v2, withIntermediateDirectories: true)
        try srs.render(Self.config(api: true, extra: "inotify_auto_reload on;"))
            .write(to: v2.appendingPathComponent("srs.conf"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: conf.appendingPathComponent("..data_tmp").path,
                                                   withDestinationPath: v2.lastPathComponent)
        let swapped = Date()
        XCTAssertEqual(rename(conf.appendingPathComponent("..data_tmp").path, conf.appendingPathComponent("..data").path), 0)
        try FileManager.default.removeItem(at: conf.appendingPathComponent("..2026_11_25_10_00_00.000000001"))
        XCTAssertTrue(Deadline.wait(timeout: 1) { TCPProbe.canConnect(port: srs.apiPort) }, srs.log)
        print("ConfigMap swap to API listening: \(Int(Date().timeIntervalSince(swapped) * 1000)) ms")
        XCTAssertTrue(srs.log.contains("name=..data, reload=1"), srs.log)
    }

    /// SRS's raw API reloads like SIGHUP when allowed; its basic auth guards the whole API.
    func testRawAPIReloadAndAuth() throws {
        let base = """
            listen {RTMP};
            daemon off;
            srs_log_tank console;
            pid ./objs/srs.pid;
            http_api {
                enabled on; listen {API};
                raw_api { enabled on; allow_reload on; }
                auth { enabled on; username admin; password s3cret; }
            }
            vhost __defaultVhost__ { }
            """
        let srs = try SRSProcess(config: base)
        defer { srs.stop() }
        try srs.waitListening()
        XCTAssertEqual(try HTTPClient.request(port: srs.apiPort, path: "/api/v1/versions").status, 401)
        let wrong = ["Authorization": "Basic " + Data("admin:nope".utf8).base64EncodedString()]
        XCTAssertEqual(try HTTPClient.request(port: srs.apiPort, path: "/api/v1/versions", headers: wrong).status, 401)
        let auth = ["Authorization": "Basic " + Data("admin:s3cret".utf8).base64EncodedString()]
        XCTAssertEqual(try HTTPClient.request(port: srs.apiPort, path: "/api/v1/versions", headers: auth).status, 200)

        try srs.rewriteConfig(base.replacingOccurrences(of: "vhost __defaultVhost__ { }",
                                                        with: "http_server { enabled on; listen {HTTP}; dir ./html; }\nvhost __defaultVhost__ { }"))
        let reply = try HTTPClient.request(port: srs.apiPort, path: "/api/v1/raw?rpc=reload", headers: auth).json()
        XCTAssertEqual(reply["code"] as? Int, 0, "\(reply)")
        XCTAssertTrue(Deadline.wait(timeout: 2) { TCPProbe.canConnect(port: srs.httpPort) }, srs.log)
        // The master binds the port before it logs what the reload changed.
        try srs.waitForLog("reload http_server off=>on success.", timeout: 2)
        let unknown = try HTTPClient.request(port: srs.apiPort, path: "/api/v1/raw?rpc=nope", headers: auth).json()
        XCTAssertEqual(unknown["code"] as? Int, 1060)
    }
}
