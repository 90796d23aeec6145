import XCTest
@testable import Core
import Kernel

/// `dvr { }` and the `http_remux` mounts of issue 16, read as SRS reads them.
final class DVRConfigTests: XCTestCase {
    func load(_ vhost: String, top: String = "", env: [String: String] = [:]) throws -> ConfigLoadResult {
        try ConfigLoader.parse("listen 1935; \(top) vhost __defaultVhost__ { \(vhost) }", file: "t.conf", environment: env)
    }

    func error(_ vhost: String) -> String {
        do {
            _ = try load(vhost)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testDefaultsAreSRSs() throws {
        let r = try load("dvr { }")
        let v = r.config.vhosts[0]
        XCTAssertFalse(v.dvrEnabled)
        XCTAssertEqual(v.dvr, DVRConfig())
        XCTAssertEqual(v.dvr.plan, .session)
        XCTAssertEqual(v.dvr.path, "./objs/nginx/html/[app]/[stream].[timestamp].flv")
        XCTAssertEqual(v.dvr.durationSeconds, 30)
        XCTAssertTrue(v.dvr.waitKeyframe)
        XCTAssertEqual(v.dvr.timeJitter, .full)
        XCTAssertEqual(v.dvr.apply, .all)
        XCTAssertFalse(r.config.utcTime)
        XCTAssertEqual(r.warnings, [])
    }

    func testEveryDirective() throws {
        let r = try load("""
            dvr { enabled on; dvr_apply live/a live/b; dvr_plan segment; dvr_path ./rec/[app]/[stream]-[2006][01][02].mp4;
                  dvr_duration 60; dvr_wait_keyframe off; time_jitter zero; }
            """, top: "utc_time on;")
        let v = r.config.vhosts[0]
        XCTAssertTrue(v.dvrEnabled)
        XCTAssertEqual(v.dvr, DVRConfig(plan: .segment, path: "./rec/[app]/[stream]-[2006][01][02].mp4", durationSeconds: 60,
                                        waitKeyframe: false, timeJitter: .zero, apply: .streams(["live/a", "live/b"])))
        XCTAssertTrue(v.dvr.isMP4)
        XCTAssertTrue(v.dvr.apply.matches(app: "live", stream: "b"))
        XCTAssertFalse(v.dvr.apply.matches(app: "live", stream: "c"))
        XCTAssertTrue(r.config.utcTime)
        XCTAssertEqual(r.warnings, [])
    }

    func testBadValuesAreErrors() {
        XCTAssertTrue(error("dvr { dvr_plan append; }").contains("dvr_plan"), error("dvr { dvr_plan append; }"))
        XCTAssertTrue(error("dvr { time_jitter some; }").contains("time_jitter"))
        XCTAssertTrue(error("dvr { dvr_duration -1; }").contains("dvr_duration"))
        XCTAssertTrue(error("dvr { dvr_duration x; }").contains("dvr_duration"))
        XCTAssertTrue(error("dvr { dvr_path \"\"; }").contains("dvr_path"))
    }

    func testEnvironmentOverridesTheDefaultVhost() throws {
        let v = try load("dvr { enabled off; }", env: ["SRS_VHOST_DVR_ENABLED": "on", "SRS_VHOST_DVR_DVR_PLAN": "segment",
                                                       "SRS_VHOST_DVR_DVR_PATH": "./x/[stream].mp4"]).config.vhosts[0]
        XCTAssertTrue(v.dvrEnabled)
        XCTAssertEqual(v.dvr.plan, .segment)
        XCTAssertEqual(v.dvr.path, "./x/[stream].mp4")
    }

    func testMountsChooseTheFormat() throws {
        for (ext, format) in [("flv", LiveRemuxFormat.flv), ("ts", .ts), ("aac", .aac), ("mp3", .mp3)] {
            let v = try load("http_remux { enabled on; mount [vhost]/[app]/[stream].\(ext); }").config.vhosts[0]
            XCTAssertEqual(v.httpRemux.format, format)
            XCTAssertEqual(v.httpRemux.format.contentType, format.contentType)
        }
        XCTAssertTrue(error("http_remux { enabled on; mount [vhost]/[app]/[stream].mp4; }").contains("must end with .flv, .ts, .aac or .mp3"))
    }
}
