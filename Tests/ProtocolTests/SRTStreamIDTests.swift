import Protocol
import XCTest

final class SRTStreamIDTests: XCTestCase {
    private func parse(_ s: String, defaultApp: String = "live") throws -> SRTStreamID {
        try SRTStreamID.parse(s, defaultApp: defaultApp)
    }

    private func refusal(_ s: String) -> SRTStreamID.ParseError? {
        do {
            _ = try parse(s)
            return nil
        } catch {
            return error as? SRTStreamID.ParseError
        }
    }

    // SRS's own examples (srs_utest_srt.cpp: SrtGetStreamInfoNormal, ...Method, ...Compatible,
    // SrtStreamIdToRequest). SRS's param has no leading `?`; ours does, as RTMPRequest's.

    func testSRSNormalForms() throws {
        XCTAssertEqual(try parse("#!::r=live/livestream,key1=value1,key2=value2"),
                       SRTStreamID(mode: .request, vhost: "", app: "live", stream: "livestream", param: "?key1=value1&key2=value2"))
        XCTAssertEqual(try parse("#!::h=host.com,r=live/livestream,key1=value1,key2=value2"),
                       SRTStreamID(mode: .request, vhost: "host.com", app: "live", stream: "livestream",
                                   param: "?vhost=host.com&key1=value1&key2=value2"))
    }

    func testSRSModes() throws {
        XCTAssertEqual(try parse("#!::r=live/livestream,m=request").mode, .request)
        XCTAssertEqual(try parse("#!::r=live/livestream,m=publish").mode, .publish)
        XCTAssertEqual(try parse("#!::r=live/livestream,m=PUBLISH").mode, .publish, "SRS lowercases the mode")
        XCTAssertEqual(try parse("#!::r=live/livestream,m=publish").param, "")
        XCTAssertEqual(refusal("#!::r=live/livestream,m=play"), .unknownMode("play"))
        XCTAssertEqual(refusal("#!::r=live/livestream,m"), .unknownMode(""))
    }

    func testSRSCompatibleForms() throws {
        XCTAssertEqual(try parse("#!::h=live/livestream,m=request"),
                       SRTStreamID(mode: .request, vhost: "", app: "live", stream: "livestream", param: ""))
        XCTAssertEqual(try parse("#!::h=live/livestream,m=publish"),
                       SRTStreamID(mode: .publish, vhost: "", app: "live", stream: "livestream", param: ""))
        XCTAssertEqual(try parse("#!::h=srs.srt.com.cn/live/livestream,m=request"),
                       SRTStreamID(mode: .request, vhost: "srs.srt.com.cn", app: "live", stream: "livestream",
                                   param: "?vhost=srs.srt.com.cn"))
        XCTAssertEqual(try parse("#!::h=srs.srt.com.cn/live/livestream,m=publish").mode, .publish)
        XCTAssertEqual(try parse("#!::h=live/livestream?secret=d6d2be37,m=publish"),
                       SRTStreamID(mode: .publish, vhost: "", app: "live", stream: "livestream", param: "?secret=d6d2be37"))
    }

    func testSRSStreamIDToRequest() throws {
        XCTAssertEqual(try parse("#!::r=live/livestream?key1=val1,key2=val2"),
                       SRTStreamID(mode: .request, vhost: "", app: "live", stream: "livestream", param: "?key1=val1&key2=val2"))
        XCTAssertEqual(try parse("#!::h=srs.srt.com.cn,r=live/livestream?key1=val1,key2=val2"),
                       SRTStreamID(mode: .request, vhost: "srs.srt.com.cn", app: "live", stream: "livestream",
                                   param: "?vhost=srs.srt.com.cn&key1=val1&key2=val2"))
        XCTAssertEqual(try parse("#!::h=live/livestream?key1=val1,key2=val2"),
                       SRTStreamID(mode: .request, vhost: "", app: "live", stream: "livestream", param: "?key1=val1&key2=val2"))
        XCTAssertEqual(try parse("#!::h=srs.srt.com.cn/live/livestream?key1=val1,key2=val2"),
                       SRTStreamID(mode: .request, vhost: "srs.srt.com.cn", app: "live", stream: "livestream",
                                   param: "?vhost=srs.srt.com.cn&key1=val1&key2=val2"))
    }

    func testKeysAreOrderedAsSRSMapsThem() throws {
        // std::map: sorted keys, the last of a repeated key wins, `h`'s vhost at h's place.
        XCTAssertEqual(try parse("#!::z=1,r=live/s,a=2,h=v.com,a=3").param, "?a=3&vhost=v.com&z=1")
        XCTAssertEqual(try parse("#!::u=admin,s=1234,t=stream,r=live/s").param, "?s=1234&t=stream&u=admin")
        XCTAssertEqual(try parse("#!::r=live/s;x=1&y=2").param, "?x=1&y=2", "`;` and `&` separate too")
    }

    func testPlainForms() throws {
        XCTAssertEqual(try parse("livestream"), SRTStreamID(mode: .request, vhost: "", app: "live", stream: "livestream", param: ""))
        XCTAssertEqual(try parse("livestream", defaultApp: "vmix").app, "vmix", "srt_server.default_app")
        XCTAssertEqual(try parse("live/livestream"), SRTStreamID(mode: .request, vhost: "", app: "live", stream: "livestream", param: ""))
        XCTAssertEqual(try parse("live/sub/stream").stream, "sub/stream", "the app is the first component")
        XCTAssertEqual(try parse("live/livestream?vhost=v.com&token=1"),
                       SRTStreamID(mode: .request, vhost: "v.com", app: "live", stream: "livestream", param: "?vhost=v.com&token=1"))
        XCTAssertEqual(try parse("/live/livestream/").app, "live", "slashes trimmed")
    }

    func testEmptyStreamIDPublishesLiveLivestream() throws {
        XCTAssertEqual(try parse(""), SRTStreamID(mode: .publish, vhost: "", app: "live", stream: "livestream", param: ""))
    }

    func testVhostParamWhenNoH() throws {
        XCTAssertEqual(try parse("#!::r=live/s,vhost=a.com").vhost, "a.com")
        XCTAssertEqual(try parse("#!::r=live/s,domain=b.com").vhost, "b.com")
        XCTAssertEqual(try parse("#!::h=c.com,r=live/s,vhost=a.com").vhost, "c.com", "h wins")
    }

    func testRefusals() {
        XCTAssertEqual(refusal("#!::m=publish"), .noStream)
        XCTAssertEqual(refusal("#!::r=live/,m=publish"), .noStream)
        XCTAssertEqual(refusal("#!::r=,m=publish"), .noStream)
        XCTAssertEqual(refusal(String(repeating: "a", count: 513)), .tooLong(513))
        guard case .refused(let r)? = refusal("#!::r=live/a\nb,m=publish") else { return XCTFail("newline accepted") }
        XCTAssertEqual(r.field, "stream")
        guard case .refused(let r2)? = refusal("#!::r=live/../etc,m=publish") else { return XCTFail("dot-dot accepted") }
        XCTAssertEqual(r2.field, "stream")
        guard case .refused(let r3)? = refusal("#!::r=live/s,k=v\u{0}x") else { return XCTFail("NUL accepted") }
        XCTAssertEqual(r3.field, "param")
        guard case .refused(let r4)? = refusal("#!::h=a\u{1b}b,r=live/s") else { return XCTFail("ESC accepted") }
        XCTAssertEqual(r4.field, "vhost")
        guard case .refused(let r5)? = refusal("live//s") else { return XCTFail("empty component accepted") }
        XCTAssertEqual(r5.field, "stream")
    }

    func testRequestAsSRSMakesIt() throws {
        let r = try parse("#!::r=live/livestream,m=publish,secret=x").request(host: "10.0.0.1", port: 10080)
        XCTAssertEqual(r.schema, "srt")
        XCTAssertEqual(r.vhost, "10.0.0.1")
        XCTAssertEqual(r.tcUrl, "srt://10.0.0.1/live")
        XCTAssertEqual(r.streamKey.description, "10.0.0.1/live/livestream")
        XCTAssertEqual(r.param, "?secret=x")
        XCTAssertNil(r.nameRefusal)
        let v = try parse("#!::h=v.com,r=live/livestream").request(host: "10.0.0.1", port: 10080)
        XCTAssertEqual(v.tcUrl, "srt://v.com/live")
        XCTAssertEqual(v.vhost, "v.com")
    }
}
