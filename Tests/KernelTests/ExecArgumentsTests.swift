import XCTest
@testable import Kernel

final class ExecArgumentsTests: XCTestCase {
    func render(_ s: String) -> String { ProcessTemplate.render(s, [("[stream]", "livestream"), ("[url]", "rtmp://h/live/livestream")]) }

    func testSRSFullConfExample() {
        // conf/full.conf: publish ./objs/ffmpeg/bin/ffmpeg -f flv -i [url] -c copy -y ./[stream].flv;
        let c = ExecArguments.command(["./objs/ffmpeg/bin/ffmpeg", "-f", "flv", "-i", "[url]", "-c", "copy", "-y", "./[stream].flv"],
                                      defaultLog: "./objs/exec.log", render: render)
        XCTAssertEqual(c, ChildCommand(program: "./objs/ffmpeg/bin/ffmpeg",
                                       arguments: ["./objs/ffmpeg/bin/ffmpeg", "-f", "flv", "-i", "rtmp://h/live/livestream", "-c", "copy",
                                                   "-y", "./livestream.flv"],
                                       stdoutPath: "./objs/exec.log", stderrPath: "./objs/exec.log"))
    }

    func testRedirectionsAreOursNotAShells() {
        let c = ExecArguments.command(["./p", "a>b", ">./o-[stream].log", "2>", "./e.log", "x", "1", ">", "./o2.log"], defaultLog: nil, render: render)
        XCTAssertEqual(c?.arguments, ["./p", "a>b", "x"])
        XCTAssertEqual(c?.stdoutPath, "./o2.log")
        XCTAssertEqual(c?.stderrPath, "./e.log")
        let d = ExecArguments.command(["./p", "1>./one.log"], defaultLog: "./d.log", render: render)
        XCTAssertEqual(d?.stdoutPath, "./one.log")
        XCTAssertEqual(d?.stderrPath, "./d.log")
        XCTAssertNil(ExecArguments.command([], defaultLog: nil, render: render))
        // Names cannot move a redirection out of its directory.
        let climb = ExecArguments.command(["./p", ">./logs/[stream].log"], defaultLog: "./d.log") {
            ProcessTemplate.render($0, [("[stream]", "../../etc/x")])
        }
        XCTAssertEqual(climb?.stdoutPath, "./d.log")
        let inside = ExecArguments.command(["./p", "2>./logs/[stream].log"], defaultLog: nil) {
            ProcessTemplate.render($0, [("[stream]", "a/../b")])
        }
        XCTAssertEqual(inside?.stderrPath, "./logs/b.log")
    }

    func testCommandLineQuotesForReading() {
        let c = ChildCommand(program: "p", arguments: ["p", "a b", "", "it's", "plain"])
        XCTAssertEqual(c.commandLine, "p 'a b' '' 'it'\\''s' plain")
    }
}
