import Glibc
import Kernel
import XCTest
@testable import System

final class LogEscapingTests: XCTestCase {
    func testOrdinaryTextIsKept() {
        for s in ["", "start publish stream __defaultVhost__/live/livestream, tcUrl=rtmp://127.0.0.1/live",
                  "直播 流 €, ©, é", "[Trace] looks like a tag but is one line", "/a/b?c=d&e=%0a"] {
            XCTAssertEqual(LogEscaping.escape(s), s)
        }
    }

    func testControlCharactersAndBackslashes() {
        XCTAssertEqual(LogEscaping.escape("log\ninject [Error] fake"), "log\\ninject [Error] fake")
        XCTAssertEqual(LogEscaping.escape("a\r\nb"), "a\\r\\nb")
        XCTAssertEqual(LogEscaping.escape("a\tb"), "a\\tb")
        XCTAssertEqual(LogEscaping.escape("victim.html\0"), "victim.html\\x00")
        XCTAssertEqual(LogEscaping.escape("\u{1B}[31mred\u{7F}"), "\\x1b[31mred\\x7f")
        XCTAssertEqual(LogEscaping.escape("a\u{85}b\u{9B}c"), "a\\xc2\\x85b\\xc2\\x9bc")
        XCTAssertEqual(LogEscaping.escape("a\u{2028}b\u{2029}"), "a\\xe2\\x80\\xa8b\\xe2\\x80\\xa9")
        XCTAssertEqual(LogEscaping.escape("C:\\dir"), "C:\\\\dir")
        // A client that sends the escape's text cannot pass it off as an escaped byte.
        XCTAssertEqual(LogEscaping.escape("\\n"), "\\\\n")
        XCTAssertNotEqual(LogEscaping.escape("\\x00"), LogEscaping.escape("\0"))
        // Neighbours of the escaped ranges stay as they are.
        XCTAssertEqual(LogEscaping.escape("\u{A0}\u{C2}\u{E2}\u{2027}\u{202A}"), "\u{A0}\u{C2}\u{E2}\u{2027}\u{202A}")
    }

    /// Escaped text has no control character left, and unescaping it gives the input back.
    func testRandomTextRoundTrips() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "\\", "x", "n", "0", "\n", "\r", "\t", "\0", "\u{1B}", "\u{7F}", "\u{85}", "\u{2028}", "é", "中"]
        for _ in 0..<2000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &rng) { s.append(alphabet.randomElement(using: &rng)!) }
            let text = String(s)
            let escaped = LogEscaping.escape(text)
            XCTAssertFalse(escaped.unicodeScalars.contains { ControlCharacter.isControl($0) }, escaped)
            XCTAssertEqual(unescape(escaped), text, text.debugDescription)
        }
    }

    /// The writer escapes every message: one call is one line, however hostile the message.
    func testLogWritesOneLinePerRecord() throws {
        let path = "/tmp/swiftsrs-log-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        try Log.toFile(path)
        defer {
            Log.toConsole()
            unlink(path)
        }
        Log.trace("start publish stream __defaultVhost__/live/log\ninject [Error] fake", cid: "abcdefgh")
        Log.warn("pageUrl=http://p/\r\n[2020-02-19 11:07:20.818][Error][1][forged00] fake\u{85}", cid: "abcdefgh")
        // A long message with a multi-byte character at the cut: cut at a character boundary.
        Log.trace(String(repeating: "中", count: 5000), cid: "abcdefgh")
        let bytes = try FileSystem.readFile(path)
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast()
        XCTAssertEqual(lines.count, 3)
        for line in lines {
            XCTAssertNotNil(String(validating: line, as: UTF8.self), "valid UTF-8")
            XCTAssertEqual(Array(line.prefix(1)), [UInt8(ascii: "[")])
            XCTAssertLessThan(line.count, Log.maxLineBytes)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains("[Trace]"))
        XCTAssertTrue(text.contains("/live/log\\ninject [Error] fake\n"))
        XCTAssertTrue(text.contains("pageUrl=http://p/\\r\\n[2020-02-19 11:07:20.818][Error][1][forged00] fake\\xc2\\x85\n"))
    }

    private func unescape(_ s: String) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            guard b[i] == 0x5C, i + 1 < b.count else { out.append(b[i]); i += 1; continue }
            switch b[i + 1] {
            case 0x5C: out.append(0x5C); i += 2
            case 0x6E: out.append(10); i += 2
            case 0x72: out.append(13); i += 2
            case 0x74: out.append(9); i += 2
            case 0x78: out.append(UInt8(String(decoding: b[(i + 2)..<(i + 4)], as: UTF8.self), radix: 16)!); i += 4
            default: XCTFail("stray backslash in \(s)"); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

