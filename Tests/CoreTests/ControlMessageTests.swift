import XCTest
import Protocol
@testable import Core

final class ControlMessageTests: XCTestCase {
    func testEveryMessageRoundTrips() {
        let identity = ServerIdentity(serverID: "vid-abc", serviceID: "x1", pid: 42)
        let key = StreamKey(vhost: "v", app: "a/b", stream: "s")
        let specs = [ListenerSpec(address: ListenAddress(port: 1935), kind: .rtmp),
                     ListenerSpec(address: ListenAddress(host: "127.0.0.1", port: 8080), kind: .http(api: true, files: false))]
        let messages: [ControlMessage] = [
            .configure(config: "listen 1935;\nvhost \"a b\" {\n}\n", listeners: specs, reload: true, identity: identity),
            .configure(config: "listen 1935;", listeners: specs, reload: false, identity: identity, quotaRow: 3),
            .streams([PublishedStream(key: StreamKey(vhost: "__defaultVhost__", app: "live", stream: "s"), worker: 7, relay: "@swiftsrs.1.7")]),
            .ready(relay: "@swiftsrs.1.7"), .publish(key: key), .unpublish(key: key), .conflict(key: key), .reload,
            .gather(id: 3, query: .streams), .collect(id: 4, query: .kick(clientID: "c1")), .collect(id: 5, query: .summary),
            .gather(id: 6, query: .clients), .gather(id: 7, query: .vhosts), .gather(id: 8, query: .metrics),
            .collected(id: 4, data: .bool(true)), .gathered(id: 3, parts: [.array([]), .null]),
        ]
        for m in messages { XCTAssertEqual(ControlMessage.decode(m.encode()), m) }
    }

    /// Workers and masters of the previous version (during a hot upgrade) read the same JSON.
    func testTheWireFormatIsThePreviousVersions() {
        func text(_ m: ControlMessage) -> String { String(decoding: m.encode(), as: UTF8.self) }
        XCTAssertEqual(text(.collect(id: 4, query: .kick(clientID: "c1"))), #"{"t":"collect","id":4,"query":{"what":"kick","id":"c1"}}"#)
        XCTAssertEqual(text(.gather(id: 1, query: .summary)), #"{"t":"gather","id":1,"query":{"what":"summary"}}"#)
        XCTAssertEqual(text(.publish(key: StreamKey(vhost: "v", app: "live", stream: "s"))), #"{"t":"publish","key":"v/live/s"}"#)
    }

    func testGarbageIsNotAMessage() {
        XCTAssertNil(ControlMessage.decode(Array("{\"t\":\"nope\"}".utf8)))
        XCTAssertNil(ControlMessage.decode(Array("not json".utf8)))
        XCTAssertNil(ControlMessage.decode(Array("{\"t\":\"configure\",\"config\":\"x\"}".utf8)))
        XCTAssertNil(ControlMessage.decode(Array("{\"t\":\"collect\",\"id\":1,\"query\":{\"what\":\"nope\"}}".utf8)))
    }

    func testListenerSpecsShareOnePortForAPIAndFiles() throws {
        let c = try ConfigLoader.parse("listen 1935 1936; http_api { enabled on; listen 8080; } http_server { enabled on; listen 8080; }").config
        XCTAssertEqual(ListenerSpec.all(for: c), [
            ListenerSpec(address: ListenAddress(port: 1935), kind: .rtmp),
            ListenerSpec(address: ListenAddress(port: 1936), kind: .rtmp),
            ListenerSpec(address: ListenAddress(port: 8080), kind: .http(api: true, files: true)),
        ])
    }

    func testRenderedConfigParsesBackToTheSameConfig() throws {
        let text = """
            listen 1935;
            include extra.conf;
            vhost __defaultVhost__ {
                http_remux { enabled on; mount "[vhost]/[app]/[stream].flv"; }
                hls { hls_entry_prefix "http://cdn/a b/"; }
            }
            """
        let first = try ConfigLoader.parse(text, readFile: { $0 == "extra.conf" ? "srs_log_level warn;" : nil })
        let again = try ConfigLoader.parse(ConfigDirective.render(first.directives))
        XCTAssertEqual(again.config, first.config)
        XCTAssertEqual(again.config.logLevel, .warn)
        XCTAssertEqual(again.config.vhost("x")?.hls.entryPrefix, "http://cdn/a b/")
    }
}
