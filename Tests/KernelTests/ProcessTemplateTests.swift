import XCTest
@testable import Kernel

final class ProcessTemplateTests: XCTestCase {
    let time = CalendarTime(epochMs: 1_700_000_000_123, year: 2023, month: 11, day: 4, hour: 5, minute: 6, second: 7, millisecond: 8)

    func testVariablesAndTime() {
        let out = ProcessTemplate.render("rtmp://127.0.0.1:[port]/[app]?vhost=[vhost]/[stream]_[engine]-[2006][01][02]-[15][04][05].[999]-[timestamp]",
                                         [("[vhost]", "v"), ("[port]", "1935"), ("[app]", "live"), ("[stream]", "s"), ("[engine]", "sd")],
                                         time: time)
        XCTAssertEqual(out, "rtmp://127.0.0.1:1935/live?vhost=v/s_sd-20231104-050607.008-1700000000123")
    }

    func testOnePassAndUnknownWordsKept() {
        // A client's stream named like a variable stays as it is; unknown brackets stay.
        XCTAssertEqual(ProcessTemplate.render("[stream]_[engine] [x] [", [("[stream]", "[engine]"), ("[engine]", "sd")]), "[engine]_sd [x] [")
        // Without a time, time variables stay.
        XCTAssertEqual(ProcessTemplate.render("[2006]", []), "[2006]")
    }
}
