import XCTest
@testable import Kernel

final class M3U8Tests: XCTestCase {
    func testMediaPlaylistAsSRSWritesIt() {
        let text = M3U8.mediaPlaylist(segments: [
            M3U8Segment(uri: "livestream-0.ts", duration: 10.0, discontinuity: true, sequence: 0),
            M3U8Segment(uri: "livestream-1.ts", duration: 9.9994, discontinuity: false, sequence: 1),
            M3U8Segment(uri: "livestream-2.ts", duration: 2.0456, discontinuity: true, sequence: 2),
        ], targetDuration: 10, mediaSequence: 0)
        XCTAssertEqual(text, """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-MEDIA-SEQUENCE:0
            #EXT-X-TARGETDURATION:10
            #EXT-X-DISCONTINUITY
            #EXTINF:10.000, no desc
            livestream-0.ts
            #EXTINF:9.999, no desc
            livestream-1.ts
            #EXT-X-DISCONTINUITY
            #EXTINF:2.046, no desc
            livestream-2.ts

            """)
    }

    func testTargetDurationCoversTheLongestSegment() {
        func target(_ durations: [Double], _ configured: Int) -> String? {
            let segments = durations.enumerated().map { M3U8Segment(uri: "\($0.offset).ts", duration: $0.element, discontinuity: false,
                                                                     sequence: $0.offset) }
            return M3U8.mediaPlaylist(segments: segments, targetDuration: configured, mediaSequence: 5)
                .split(separator: "\n").first { $0.hasPrefix("#EXT-X-TARGETDURATION:") }.map(String.init)
        }
        XCTAssertEqual(target([10.4, 3], 10), "#EXT-X-TARGETDURATION:11")
        XCTAssertEqual(target([10.0004], 10), "#EXT-X-TARGETDURATION:10", "written as 10.000")
        XCTAssertEqual(target([2, 3], 10), "#EXT-X-TARGETDURATION:10")
        XCTAssertEqual(target([], 5), "#EXT-X-TARGETDURATION:5")
    }

    func testFormatSeconds() {
        XCTAssertEqual(M3U8.formatSeconds(0), "0.000")
        XCTAssertEqual(M3U8.formatSeconds(0.0005), "0.001")
        XCTAssertEqual(M3U8.formatSeconds(1.05), "1.050")
        XCTAssertEqual(M3U8.formatSeconds(12.3456), "12.346")
        XCTAssertEqual(M3U8.formatSeconds(99.9999), "100.000")
        XCTAssertEqual(M3U8.formatSeconds(-3), "0.000")
        XCTAssertEqual(M3U8.formatSeconds(.nan), "0.000")
        XCTAssertEqual(M3U8.formatSeconds(.infinity), "0.000")
    }

    func testParseRoundTrip() throws {
        let segments = [
            M3U8Segment(uri: "live/s-7.ts", duration: 4.2, discontinuity: false, sequence: 7),
            M3U8Segment(uri: "live/s-8.ts", duration: 3.96, discontinuity: true, sequence: 8),
        ]
        let playlist = try M3U8.parse(M3U8.mediaPlaylist(segments: segments, targetDuration: 4, mediaSequence: 7))
        XCTAssertEqual(playlist.version, 3)
        XCTAssertEqual(playlist.mediaSequence, 7)
        XCTAssertEqual(playlist.targetDuration, 5)
        XCTAssertEqual(playlist.segments, segments)
        XCTAssertFalse(playlist.endList)
    }

    func testParseToleratesOtherWriters() throws {
        let text = "#EXTM3U\r\n#EXT-X-VERSION:6\r\n#EXT-X-TARGETDURATION:6\r\n#EXT-X-MEDIA-SEQUENCE:100\r\n"
            + "#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00Z\r\n# a comment\r\n#EXTINF:6,\r\nhttp://cdn/a.ts\r\n\r\n"
            + "#EXT-X-KEY:METHOD=NONE\r\n#EXTINF:5.5 ,title\r\nb.ts\r\n#EXT-X-ENDLIST\r\n"
        let playlist = try M3U8.parse(text)
        XCTAssertEqual(playlist.mediaSequence, 100)
        XCTAssertEqual(playlist.segments.map(\.uri), ["http://cdn/a.ts", "b.ts"])
        XCTAssertEqual(playlist.segments.map(\.duration), [6, 5.5])
        XCTAssertEqual(playlist.segments.map(\.sequence), [100, 101])
        XCTAssertTrue(playlist.endList)
    }

    func testParseRejectsNonPlaylists() {
        XCTAssertThrowsError(try M3U8.parse(""))
        XCTAssertThrowsError(try M3U8.parse("<html>"))
        XCTAssertThrowsError(try M3U8.parse("#EXTM3U\n#EXTINF:abc,\nx.ts\n"))
    }
}
