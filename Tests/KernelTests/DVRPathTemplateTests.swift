import XCTest
@testable import Kernel

final class DVRPathTemplateTests: XCTestCase {
    let names = DVRPathTemplate.Names(vhost: "ossrs.net", app: "live", stream: "livestream")

    private func path(_ template: String, _ names: DVRPathTemplate.Names? = nil, duration: Int64? = nil)
        -> Result<String, ConfinedPath.Refusal> {
        do throws(ConfinedPath.Refusal) {
            return .success(try DVRPathTemplate.path(template, names: names ?? self.names, time: dvrTestTime, durationMs: duration))
        } catch {
            return .failure(error)
        }
    }

    /// The examples of SRS's full.conf, for rtmp://ossrs.net/live/livestream at 2015-01-03 10:57:30.776.
    func testSRSDocumentedExamples() {
        XCTAssertEqual(path("./objs/nginx/html"), .success("./objs/nginx/html/livestream.1420254068776.flv"),
                       "a directory gets [stream].[timestamp].flv")
        XCTAssertEqual(path("/data/[vhost]/[app]/[stream]/[2006]/[01]/[02]/[15].[04].[05].[999].flv"),
                       .success("/data/ossrs.net/live/livestream/2015/01/03/10.57.30.776.flv"))
        XCTAssertEqual(path("/data/[vhost]/[app]/[stream]/[2006]/[01]/[02]-[15].[04].[05].[999].flv"),
                       .success("/data/ossrs.net/live/livestream/2015/01/03-10.57.30.776.flv"))
        XCTAssertEqual(path("/data/[vhost]/[app]/[2006]/[01]/[stream]-[02]-[15].[04].[05].[999].flv"),
                       .success("/data/ossrs.net/live/2015/01/livestream-03-10.57.30.776.flv"))
        XCTAssertEqual(path("./objs/nginx/html/[app]/[stream].[timestamp].mp4"),
                       .success("./objs/nginx/html/live/livestream.1420254068776.mp4"))
        XCTAssertEqual(path(DVRConfig.defaultPath), .success("./objs/nginx/html/live/livestream.1420254068776.flv"))
    }

    func testDurationUnknownVariablesAndFixedNames() {
        XCTAssertEqual(path("./r/[stream]-[duration].flv"), .success("./r/livestream-[duration].flv"), "kept until the file closes")
        XCTAssertEqual(path("./r/[stream]-[duration].flv", duration: 30_021), .success("./r/livestream-30021.flv"))
        XCTAssertEqual(path("./r/[stream]-[param][seq][x.flv"), .success("./r/livestream-[param][seq][x.flv"),
                       "SRS 7 has no [param] in dvr_path: unknown brackets stay")
        XCTAssertEqual(path("./objs/record.flv"), .success("./objs/record.flv"))
        XCTAssertEqual(path("[app].mp4"), .success("./live.mp4"))
        XCTAssertEqual(path("/[app]/[stream].flv"), .success("/live/livestream.flv"))
        XCTAssertEqual(DVRPathTemplate.normalized("/data/dvr/"), "/data/dvr//[stream].[timestamp].flv")
        XCTAssertEqual(path("/data/dvr/"), .success("/data/dvr/livestream.1420254068776.flv"))
        // One pass: values are not rendered again.
        let odd = DVRPathTemplate.Names(vhost: "v", app: "[stream]", stream: "[2006][duration]")
        XCTAssertEqual(path("./r/[app]/[stream].flv", odd, duration: 5), .success("./r/[stream]/[2006][duration].flv"))
    }

    func testHostileNamesStayInsideTheDirectory() {
        func names(app: String = "live", stream: String) -> DVRPathTemplate.Names {
            .init(vhost: "v", app: app, stream: stream)
        }
        let template = "./objs/dvr/[app]/[stream].flv"
        XCTAssertEqual(path(template, names(stream: "../../../etc/passwd")), .failure(.escapesRoot))
        XCTAssertEqual(path(template, names(app: "..", stream: "..")), .failure(.escapesRoot))
        XCTAssertEqual(path(template, names(app: "/etc", stream: "x")), .failure(.absolute))
        XCTAssertEqual(path(template, names(stream: "x\0.txt")), .failure(.controlCharacter))
        XCTAssertEqual(path(template, names(stream: "a\nb")), .failure(.controlCharacter))
        // Climbing back inside is only normalized: the file stays under ./objs/dvr.
        XCTAssertEqual(path(template, names(stream: "a/../b")), .success("./objs/dvr/live/b.flv"))
        XCTAssertEqual(path(template, names(app: "live/../..", stream: "x")), .failure(.escapesRoot))
        // The fixed directory is the operator's and is kept as written.
        XCTAssertEqual(path("../shared/[app]/[stream].mp4", names(stream: "s")), .success("../shared/live/s.mp4"))
        // Names that only look special are file names.
        XCTAssertEqual(path(template, names(stream: "..%2f..%2fx")), .success("./objs/dvr/live/..%2f..%2fx.flv"))
    }

    func testApply() {
        XCTAssertEqual(DVRApply(arguments: []), .all)
        XCTAssertEqual(DVRApply(arguments: ["all"]), .all)
        let list = DVRApply(arguments: ["live/a", "live/b"])
        XCTAssertTrue(list.matches(app: "live", stream: "a"))
        XCTAssertFalse(list.matches(app: "live", stream: "c"))
        XCTAssertFalse(list.matches(app: "other", stream: "a"))
        // As SRS: `all` among other names is just a name.
        let mixed = DVRApply(arguments: ["all", "live/a"])
        XCTAssertEqual(mixed, .streams(["all", "live/a"]))
        XCTAssertFalse(mixed.matches(app: "live", stream: "b"))
        XCTAssertTrue(DVRApply.all.matches(app: "x", stream: "y"))
    }

    func testConfigDefaultsAreSRSs() {
        let config = DVRConfig()
        XCTAssertEqual(config.plan, .session)
        XCTAssertEqual(config.path, "./objs/nginx/html/[app]/[stream].[timestamp].flv")
        XCTAssertEqual(config.durationSeconds, 30)
        XCTAssertTrue(config.waitKeyframe)
        XCTAssertEqual(config.timeJitter, .full)
        XCTAssertEqual(config.apply, .all)
        XCTAssertFalse(config.isMP4)
        XCTAssertTrue(DVRConfig(path: "./[stream].mp4").isMP4)
    }
}
