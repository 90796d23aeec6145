import XCTest
@testable import Kernel

final class ConfinedPathTests: XCTestCase {
    func join(_ root: String, _ relative: String) -> Result<String, ConfinedPath.Refusal> {
        do throws(ConfinedPath.Refusal) {
            return .success(try ConfinedPath.join(root: root, relative))
        } catch {
            return .failure(error)
        }
    }

    func testJoinsAndNormalizes() {
        XCTAssertEqual(join("./objs/nginx/html", "live/livestream.m3u8"), .success("./objs/nginx/html/live/livestream.m3u8"))
        XCTAssertEqual(join("/data/", "a//./b/../c.ts"), .success("/data/a/c.ts"))
        XCTAssertEqual(join("/data///", "x"), .success("/data/x"))
        XCTAssertEqual(join("/", "x/y"), .success("/x/y"))
        XCTAssertEqual(join("//", "x"), .success("/x"))
        XCTAssertEqual(join(".", "x"), .success("./x"))
        XCTAssertEqual(join("html", "a/b/"), .success("html/a/b"))
        // The root is the operator's: `..` in it is kept as written.
        XCTAssertEqual(join("../shared/hls", "live/s.m3u8"), .success("../shared/hls/live/s.m3u8"))
        // Names that merely look like dots, escapes or other systems' separators are plain file names.
        XCTAssertEqual(join("r", "..."), .success("r/..."))
        XCTAssertEqual(join("r", "..a/a.."), .success("r/..a/a.."))
        XCTAssertEqual(join("r", "%2e%2e/x"), .success("r/%2e%2e/x"))
        XCTAssertEqual(join("r", "..\\..\\x"), .success("r/..\\..\\x"))
        XCTAssertEqual(join("r", "直播/流 1.m3u8"), .success("r/直播/流 1.m3u8"))
    }

    func testRefusesClimbingOutOfTheRoot() {
        for rel in ["..", "../x", "../../etc/passwd", "a/../../x", "a/b/../../../x", "./../x", "a/./../..", "x/../.."] {
            XCTAssertEqual(join("./html", rel), .failure(.escapesRoot), rel)
        }
    }

    func testRefusesAbsoluteAndEmpty() {
        XCTAssertEqual(join("./html", "/etc/passwd"), .failure(.absolute))
        XCTAssertEqual(join("./html", "//x"), .failure(.absolute))
        for rel in ["", ".", "./", "a/..", "a/b/../..", "./."] {
            XCTAssertEqual(join("./html", rel), .failure(.empty), rel.debugDescription)
        }
    }

    func testRefusesControlCharactersAnywhere() {
        // The attack: a NUL ends the C string, so `victim.html\0/x.m3u8` opened `victim.html`.
        for rel in ["victim.html\0/x.m3u8", "live/ctl.m3u8\0.m3u8", "\0", "a\nb", "a\rb", "a\tb", "x\u{1B}[31m", "x\u{7F}",
                    "x\u{85}", "x\u{9F}", "x\u{2028}y", "x\u{2029}", "../\0"] {
            XCTAssertEqual(join("./html", rel), .failure(.controlCharacter), rel.debugDescription)
        }
        XCTAssertEqual(join("", "x"), .failure(.badRoot))
        XCTAssertEqual(join("./ht\0ml", "x"), .failure(.badRoot))
        XCTAssertEqual(join("./html\n", "x"), .failure(.badRoot))
    }

    /// Whatever the input, an accepted result is the root, a `/`, and components that are neither
    /// empty, `.`, `..` nor hold a control character.
    func testRandomHostilePathsStayInsideTheRoot() {
        var rng = FastRandom(seed: 13)
        let alphabet: [String] = ["/", ".", "..", "a", "b", "\0", "\n", "\u{85}", "\\", "%2e", "~", ""]
        for _ in 0..<20_000 {
            let rel = (0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            guard case .success(let path) = join("/srv/hls", rel) else { continue }
            XCTAssertTrue(path.hasPrefix("/srv/hls/"), path)
            for part in path.dropFirst("/srv/hls/".count).split(separator: "/", omittingEmptySubsequences: false) {
                XCTAssertFalse(part.isEmpty || part == "." || part == "..", "\(rel.debugDescription) → \(path)")
                XCTAssertFalse(ControlCharacter.contains(in: part), "\(rel.debugDescription) → \(path)")
            }
        }
    }

    func testSplitTemplate() {
        XCTAssertTrue(ConfinedPath.splitTemplate("./objs/nginx/html/[app]/[stream].[timestamp].flv")
            == ("./objs/nginx/html", "[app]/[stream].[timestamp].flv"))
        XCTAssertTrue(ConfinedPath.splitTemplate("/data/dvr/[app]-[stream].flv") == ("/data/dvr", "[app]-[stream].flv"))
        XCTAssertTrue(ConfinedPath.splitTemplate("./a/b.flv") == ("./a", "b.flv"))
        XCTAssertTrue(ConfinedPath.splitTemplate("[app].flv") == (".", "[app].flv"))
        XCTAssertTrue(ConfinedPath.splitTemplate("/[app].flv") == ("/", "[app].flv"))
        XCTAssertTrue(ConfinedPath.splitTemplate("./html/x[vhost]/[stream].flv") == ("./html", "x[vhost]/[stream].flv"))
        // Rendered names then go through join, which holds them inside the split root.
        let (root, rel) = ConfinedPath.splitTemplate("./html/[app]/[stream].flv")
        let rendered = rel.replacingOccurrences(of: "[app]", with: "..").replacingOccurrences(of: "[stream]", with: "../../x")
        XCTAssertEqual(join(root, rendered), .failure(.escapesRoot))
    }
}

final class ControlCharacterTests: XCTestCase {
    func testTheSet() {
        for v: UInt32 in [0, 9, 10, 13, 0x1B, 0x1F, 0x7F, 0x80, 0x85, 0x9B, 0x9F, 0x2028, 0x2029] {
            XCTAssertTrue(ControlCharacter.isControl(Unicode.Scalar(v)!), "U+\(String(v, radix: 16))")
        }
        for v: UInt32 in [0x20, 0x41, 0x7E, 0xA0, 0xE9, 0x202E, 0x76F4, 0xFFFD, 0x1F600] {
            XCTAssertFalse(ControlCharacter.isControl(Unicode.Scalar(v)!), "U+\(String(v, radix: 16))")
        }
        XCTAssertFalse(ControlCharacter.contains(in: "live/livestream?token=a&b=c"))
        XCTAssertFalse(ControlCharacter.contains(in: "直播€ ©"))
        XCTAssertTrue(ControlCharacter.contains(in: "a\0"))
        XCTAssertTrue(ControlCharacter.contains(in: "é\u{85}"))
        XCTAssertTrue(ControlCharacter.contains(in: "€\u{2028}"))
        XCTAssertTrue(ControlCharacter.contains(in: Substring("x\n")))
    }
}
