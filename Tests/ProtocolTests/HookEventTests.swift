import XCTest
@testable import Protocol

/// Hook bodies against SRS 7.0.18's own (captured here: ffmpeg publish of
/// `live/livestream?token=abc&x=1`, ffprobe RTMP and HTTP-FLV plays, HLS and DVR), byte for byte.
final class HookEventTests: XCTestCase {
    let server = HookServerIdentity(serverID: "vid-90dh6c5", serviceID: "08m9j1cc")
    let publisher = HookClient(clientID: "839l0y25", ip: "127.0.0.1", vhost: "__defaultVhost__", app: "live", stream: "livestream",
                               param: "?token=abc&x=1", tcUrl: "rtmp://127.0.0.1:19935/live", pageUrl: "", streamID: "vid-p967926")

    func body(_ e: HookEvent, _ c: HookClient) -> String { String(decoding: e.body(client: c, server: server), as: UTF8.self) }

    func testPublisherEventsAreSRSs() {
        XCTAssertEqual(body(.connect, publisher), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_connect","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","stream":"livestream","param":"?token=abc&x=1","tcUrl":"rtmp://127.0.0.1:19935/live","pageUrl":""}"#)
        XCTAssertEqual(body(.publish, publisher), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_publish","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?token=abc&x=1","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#)
        XCTAssertEqual(body(.unpublish, publisher), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_unpublish","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?token=abc&x=1","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#)
        XCTAssertEqual(body(.close(sendBytes: 4501, recvBytes: 279136), publisher), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_close","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","send_bytes":4501,"recv_bytes":279136}"#)
        XCTAssertEqual(body(.dvr(cwd: "/work/cap", file: "./html/live/livestream.1796543851027.flv"), publisher), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_dvr","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?token=abc&x=1","cwd":"/work/cap","file":"./html/live/livestream.1796543851027.flv","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#)
    }

    func testHLSEventIsSRSs() {
        let seg = HLSSegmentHook(durationMs: 2020, cwd: "/work/cap", file: "./html/live/livestream-0.ts", uri: "livestream-0.ts",
                                 m3u8: "./html/live/livestream.m3u8", m3u8URL: "live/livestream.m3u8", sequence: 0)
        XCTAssertEqual(seg.url, "live/livestream-0.ts")
        XCTAssertEqual(body(.hls(seg), publisher), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_hls","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?token=abc&x=1","duration":2.02,"cwd":"/work/cap","file":"./html/live/livestream-0.ts","url":"live/livestream-0.ts","m3u8":"./html/live/livestream.m3u8","m3u8_url":"live/livestream.m3u8","seq_no":0,"stream_url":"/live/livestream","stream_id":"vid-p967926"}"#)
        // A playlist at the root: SRS's dirname is "./"; an absolute URI is kept as is.
        XCTAssertEqual(HLSSegmentHook(durationMs: 0, cwd: "", file: "", uri: "s-1.ts", m3u8: "", m3u8URL: "s.m3u8", sequence: 1).url, ".//s-1.ts")
        XCTAssertEqual(HLSSegmentHook(durationMs: 0, cwd: "", file: "", uri: "http://cdn/live/s-1.ts", m3u8: "", m3u8URL: "live/s.m3u8",
                                      sequence: 1).url, "http://cdn/live/s-1.ts")
    }

    func testPlayerEventsAreSRSs() {
        let player = HookClient(clientID: "z75656w7", ip: "127.0.0.1", vhost: "__defaultVhost__", app: "live", stream: "livestream",
                                param: "?ptoken=p1", tcUrl: "rtmp://127.0.0.1:19935/live", pageUrl: "", streamID: "vid-p967926")
        XCTAssertEqual(body(.play, player), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_play","client_id":"z75656w7","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","stream":"livestream","tcUrl":"rtmp://127.0.0.1:19935/live","param":"?ptoken=p1","pageUrl":"","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#)
        XCTAssertEqual(body(.stop, player), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_stop","client_id":"z75656w7","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?ptoken=p1","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#)
        XCTAssertEqual(body(.close(sendBytes: 64933, recvBytes: 3545), player), #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_close","client_id":"z75656w7","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","send_bytes":64933,"recv_bytes":3545}"#)
    }

    func testStreamURLAndEscaping() {
        var c = publisher
        c.vhost = "v.example.com"
        c.stream = "s2.m3u8"
        XCTAssertEqual(c.streamURL, "v.example.com/live/s2")
        c.streamID = nil
        c.pageUrl = "http://a/\"q\"\\"
        let text = body(.play, c)
        XCTAssertTrue(text.contains(#""pageUrl":"http://a/\"q\"\\","stream_url":"v.example.com/live/s2"}"#), text)
        XCTAssertFalse(text.contains("stream_id"))
    }

    /// `%.2f` of ms / 1000.0 as glibc prints it (values from Python's `'%.2f' % (ms / 1000.0)`).
    func testDurationIsPrintedAsSRSsPrintf() {
        for (ms, text) in [(2015, "2.02"), (125, "0.12"), (2020, "2.02"), (1960, "1.96"), (2000, "2.00"), (5, "0.01"), (4, "0.00"),
                           (995, "0.99"), (1005, "1.00"), (2025, "2.02"), (35, "0.04"), (45, "0.04"), (65, "0.07"),
                           (1_234_567, "1234.57"), (0, "0.00"), (10_000, "10.00")] as [(Int64, String)] {
            XCTAssertEqual(HookEvent.seconds2(milliseconds: ms), text, "\(ms)")
        }
    }

    func testDecisionsAndActions() {
        XCTAssertEqual([HookEvent.connect, .publish, .play].map(\.decides), [true, true, true])
        XCTAssertEqual([HookEvent.close(sendBytes: 0, recvBytes: 0), .unpublish, .stop, .dvr(cwd: "", file: "")].map(\.decides),
                       [false, false, false, false])
        XCTAssertEqual(HookEvent.stop.action, "on_stop")
    }
}
