import XCTest
@testable import Core

final class ConfigParserTests: XCTestCase {
    func parse(_ text: String, files: [String: String] = [:]) throws -> [ConfigDirective] {
        try ConfigParser(readFile: { files[$0] }).parse(text, file: "t.conf")
    }

    func error(_ text: String, files: [String: String] = [:]) -> String {
        do {
            _ = try parse(text, files: files)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testDirectivesBlocksCommentsAndLines() throws {
        let d = try parse("""
            # comment
            listen 1935 1936; # trailing
            vhost __defaultVhost__ {
                hls { enabled on; }

                http_remux {
                    mount "[vhost]/[app]/[stream].flv";
                }
            }
            """)
        XCTAssertEqual(d.map(\.name), ["listen", "vhost"])
        XCTAssertEqual(d[0].args, ["1935", "1936"])
        XCTAssertEqual(d[0].line, 2)
        XCTAssertEqual(d[1].arg0, "__defaultVhost__")
        XCTAssertEqual(d[1].line, 3)
        XCTAssertEqual(d[1].child("hls")?.child("enabled")?.args, ["on"])
        XCTAssertEqual(d[1].child("http_remux")?.child("mount")?.args, ["[vhost]/[app]/[stream].flv"])
        XCTAssertEqual(d[1].child("http_remux")?.child("mount")?.line, 7)
    }

    func testQuotesKeepBlanksAndEscapes() throws {
        let d = try parse(#"a "x y" 'it\'s' "semi;colon" "{";"#)
        XCTAssertEqual(d[0].args, ["x y", "it's", "semi;colon", "{"])
    }

    func testEmptyBlockAndNoSpaceBeforeBrace() throws {
        let d = try parse("vhost v{}\nhttp_api{enabled on;}")
        XCTAssertTrue(d[0].isBlock)
        XCTAssertEqual(d[0].children, [])
        XCTAssertEqual(d[1].child("enabled")?.args, ["on"])
    }

    func testErrorsCarryFileAndLine() {
        XCTAssertEqual(error("listen 1935;\n}"), "t.conf:2: unexpected \"}\"")
        XCTAssertEqual(error("vhost a {\n  hls {\n"), "t.conf:3: unexpected end of file, expecting \"}\" to close \"hls\" opened at line 2")
        XCTAssertEqual(error("listen 1935\n"), "t.conf:1: unexpected end of file, directive \"listen\" is not terminated by \";\"")
        XCTAssertEqual(error("a {\n b 1\n}"), "t.conf:2: directive \"b\" is not terminated by \";\"")
        XCTAssertEqual(error("\n\n;"), "t.conf:3: unexpected \";\"")
        XCTAssertEqual(error("{ }"), "t.conf:1: unexpected \"{\" without a directive name")
        XCTAssertEqual(error("a \"open\n\n"), "t.conf:1: unterminated quoted string")
    }

    func testIncludeSplicesFilesAtAnyLevel() throws {
        let d = try parse("listen 1;\nvhost v { include h.conf; }\ninclude g.conf;",
                          files: ["h.conf": "hls { enabled on; }", "g.conf": "daemon off;"])
        XCTAssertEqual(d.map(\.name), ["listen", "vhost", "daemon"])
        XCTAssertEqual(d[1].child("hls")?.child("enabled")?.args, ["on"])
        XCTAssertEqual(d[2].file, "g.conf")
    }

    func testIncludeFallsBackToTheIncludingFilesDirectory() throws {
        let parser = ConfigParser(readFile: { ["conf/a.conf": "include b.conf;", "conf/b.conf": "daemon off;"][$0] })
        let d = try parser.parseFile("conf/a.conf")
        XCTAssertEqual(d.first?.file, "conf/b.conf")
    }

    func testIncludeErrors() {
        XCTAssertEqual(error("include missing.conf;"), "t.conf:1: cannot open include missing.conf: no such file")
        XCTAssertEqual(error("include;"), "t.conf:1: include needs at least one file")
        XCTAssertTrue(error("include loop.conf;", files: ["loop.conf": "include loop.conf;"]).contains("nested deeper"))
        XCTAssertEqual(error("x;", files: [:]), "no error")
        XCTAssertEqual(error("include bad.conf;", files: ["bad.conf": "a {"]),
                       "bad.conf:1: unexpected end of file, expecting \"}\" to close \"a\" opened at line 1")
    }

    func testHostileNestingIsRefused() {
        let deep = String(repeating: "a {", count: 100) + String(repeating: "}", count: 100)
        XCTAssertTrue(error(deep).contains("nested deeper"))
    }
}
