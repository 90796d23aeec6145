import XCTest
@testable import App
import Core
import Kernel
import Protocol

/// forward, ingest, transcode and exec as parsed, their command lines as SRS 7 builds them
/// (captured with a fake ffmpeg logging its argv; see docs/processes.md), and the loop guard.
final class ProcessConfigTests: XCTestCase {
    let time = CalendarTime(epochMs: 1_700_000_000_123, year: 2023, month: 11, day: 4, hour: 5, minute: 6, second: 7, millisecond: 8)

    func load(_ text: String) throws -> ServerConfig { try ConfigLoader.parse(text, file: "t.conf").config }

    func error(_ text: String) -> String {
        do {
            _ = try load(text)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    static let srsComparison = """
        listen 19935;
        vhost __defaultVhost__ {
            forward { enabled on; destination 127.0.0.1:1936 host2; backend http://127.0.0.1:8085/api/v1/forward; }
            transcode {
                enabled on;
                ffmpeg /tmp/ff;
                engine sd {
                    enabled on;
                    vfilter { vf 'scale=160:120'; }
                    vcodec libx264; vbitrate 300; vfps 20; vwidth 161; vheight 120; vthreads 2;
                    vprofile baseline; vpreset superfast;
                    vparams { t 100; bf 0; }
                    acodec aac; abitrate 45; asample_rate 44100; achannels 2;
                    aparams { profile:a aac_low; }
                    output rtmp://127.0.0.1:[port]/[app]?vhost=[vhost]/[stream]_[engine];
                }
                engine cp {
                    enabled on; vcodec copy; acodec copy; aparams { bsf:a aac_adtstoasc; x y; }
                    output rtmp://127.0.0.1:[port]/[app]/[stream]_[engine]?vhost=[vhost]&p=[param];
                }
                engine off { enabled off; output x; }
            }
            exec {
                enabled on;
                publish /tmp/ff -f flv -i [url] -c copy -y ./[stream].flv [vhost] [port] [app] [tcUrl] [swfUrl] [pageUrl];
            }
            ingest cam {
                enabled on;
                input { type file; url ./in.flv; }
                ffmpeg /tmp/ff;
                engine { enabled off; output rtmp://127.0.0.1:[port]/live?vhost=[vhost]/cam; }
            }
            ingest cam2 {
                enabled on;
                input { type stream; url rtmp://example.com/live/x; }
                ffmpeg /tmp/ff;
                engine { enabled on; vcodec libx264; vbitrate 100; vwidth 160; vheight 120; vprofile main; vpreset ultrafast; acodec aac;
                         output rtmp://127.0.0.1:[port]/live/cam2?vhost=[vhost]; }
            }
            ingest off { enabled off; }
        }
        """

    func testParsedWithSRSDefaults() throws {
        let c = try load(Self.srsComparison)
        XCTAssertEqual(c.ffLogDir, "./objs")
        XCTAssertEqual(c.ffLogLevel, "info")
        let v = try XCTUnwrap(c.vhost("__defaultVhost__"))
        XCTAssertTrue(v.forward.enabled)
        XCTAssertEqual(v.forward.destinations, [HostPort(host: "127.0.0.1", port: 1936), HostPort(host: "host2", port: 1935)])
        XCTAssertEqual(v.forward.backend, "http://127.0.0.1:8085/api/v1/forward")
        XCTAssertEqual(v.ingests.map(\.name), ["cam", "cam2", "off"])
        XCTAssertEqual(v.ingests[1].inputType, .stream)
        XCTAssertEqual(v.transcodes.first?.engines.map(\.name), ["sd", "cp", "off"])
        XCTAssertEqual(v.transcodes.first?.engines.first?.vfilter, ["-vf", "scale=160:120"])
        XCTAssertEqual(v.transcodes.first?.engines.first?.vthreads, 2)
        XCTAssertEqual(v.transcodes.first?.engines[1].vthreads, 1)
        XCTAssertTrue(v.exec.enabled)
        let quiet = try load("listen 1935; ff_log_dir /dev/null; ff_log_level quiet; vhost v { }")
        XCTAssertEqual(quiet.ffLogDir, "/dev/null")
        XCTAssertEqual(quiet.ffLogLevel, "quiet")
        XCTAssertTrue(try ConfigLoader.parse(Self.srsComparison, file: "t.conf").warnings.isEmpty)
    }

    func testIngestCommandLinesAsSRS() throws {
        let jobs = try load(Self.srsComparison).ingestJobs(time: time)
        XCTAssertEqual(jobs.map(\.id), ["__defaultVhost__/cam/0", "__defaultVhost__/cam2/0"])
        XCTAssertEqual(jobs[0].command, ChildCommand(
            program: "/tmp/ff",
            arguments: ["/tmp/ff", "-loglevel", "info", "-re", "-i", "./in.flv", "-vcodec", "copy", "-acodec", "copy", "-f", "flv", "-y",
                        "rtmp://127.0.0.1:19935/live/cam"],
            stdoutPath: "./objs/ffmpeg-ingest-__defaultVhost__-live-cam.log", stderrPath: "./objs/ffmpeg-ingest-__defaultVhost__-live-cam.log"))
        XCTAssertEqual(jobs[1].command.arguments, [
            "/tmp/ff", "-loglevel", "info", "-re", "-f", "flv", "-i", "rtmp://example.com/live/x", "-vcodec", "libx264", "-b:v", "100000",
            "-s", "160x120", "-aspect", "160:120", "-threads", "1", "-profile:v", "main", "-preset", "ultrafast", "-acodec", "aac",
            "-f", "flv", "-y", "rtmp://127.0.0.1:19935/live/cam2",
        ])
        XCTAssertEqual(jobs[1].command.stdoutPath, "./objs/ffmpeg-ingest-__defaultVhost__-live-cam2.log")
        XCTAssertEqual([jobs[1].app, jobs[1].stream], ["live", "cam2"])
        // A named vhost stays in the output; logs off with /dev/null.
        let named = try load("listen 1935; ff_log_dir /dev/null; vhost v.com { ingest a { enabled on; input { url f.flv; } ffmpeg ff; "
                             + "engine { output rtmp://127.0.0.1:[port]/live/a?vhost=[vhost]; } } }").ingestJobs(time: time)
        XCTAssertEqual(named.first?.command.arguments.last, "rtmp://127.0.0.1:1935/live/a?vhost=v.com")
        XCTAssertNil(named.first?.command.stdoutPath)
    }

    func testTranscodeAndExecCommandLinesAsSRS() throws {
        let c = try load(Self.srsComparison)
        let v = try XCTUnwrap(c.vhost("__defaultVhost__"))
        let s = StreamProcessPlan.Stream(vhost: "__defaultVhost__", app: "live", stream: "livestream", param: "?token=abc", port: 19935,
                                         host: "127.0.0.1", tcUrl: "rtmp://127.0.0.1:19935/live")
        let t = StreamProcessPlan.transcodes(s, vhost: v, ffLogDir: c.ffLogDir, time: time)
        let input = "rtmp://127.0.0.1:19935/live?vhost=__defaultVhost__/livestream"
        XCTAssertEqual(t.map(\.command.arguments), [
            ["/tmp/ff", "-f", "flv", "-i", input, "-vf", "scale=160:120", "-vcodec", "libx264", "-b:v", "300000", "-r", "20.00",
             "-s", "160x120", "-aspect", "160:120", "-threads", "2", "-profile:v", "baseline", "-preset", "superfast", "-t", "100",
             "-bf", "0", "-acodec", "aac", "-b:a", "45000", "-ar", "44100", "-ac", "2", "-profile:a", "aac_low", "-f", "flv", "-y",
             "rtmp://127.0.0.1:19935/live?vhost=__defaultVhost__/livestream_sd"],
            ["/tmp/ff", "-f", "flv", "-i", input, "-vcodec", "copy", "-acodec", "copy", "-bsf:a", "aac_adtstoasc", "-f", "flv", "-y",
             "rtmp://127.0.0.1:19935/live/livestream_cp?vhost=__defaultVhost__&p=?token=abc"],
        ])
        XCTAssertEqual(t.map(\.command.stdoutPath), ["./objs/ffmpeg-encoder-__defaultVhost__-live-livestream-sd.log",
                                                     "./objs/ffmpeg-encoder-__defaultVhost__-live-livestream-cp.log"])
        let e = StreamProcessPlan.execs(s, vhost: v, ffLogDir: c.ffLogDir, time: time)
        XCTAssertEqual(e.map(\.command.arguments), [[
            "/tmp/ff", "-f", "flv", "-i", "rtmp://127.0.0.1:19935/live/livestream?token=abc", "-c", "copy", "-y", "./livestream.flv",
            "__defaultVhost__", "19935", "live", "rtmp://127.0.0.1:19935/live", "", "",
        ]])
        XCTAssertEqual(e.first?.command.stdoutPath, "./objs/exec-__defaultVhost__-live-livestream.log")
    }

    func testURLVariableAsSRS() {
        var s = StreamProcessPlan.Stream(vhost: "v.com", app: "live", stream: "s", port: 1935, host: "127.0.0.1")
        XCTAssertEqual(StreamProcessPlan.url(s), "rtmp://127.0.0.1:1935/live/s?vhost=v.com")
        s.param = "?a=1"
        XCTAssertEqual(StreamProcessPlan.url(s), "rtmp://127.0.0.1:1935/live/s?a=1&vhost=v.com")
        s.vhost = "__defaultVhost__"
        s.host = "example.com"
        XCTAssertEqual(StreamProcessPlan.url(s), "rtmp://example.com:1935/live/s?a=1&vhost=example.com")
    }

    func testClientNamesStayInTheLogDirectory() throws {
        let c = try load(Self.srsComparison)
        let v = try XCTUnwrap(c.vhost("__defaultVhost__"))
        let s = StreamProcessPlan.Stream(vhost: "__defaultVhost__", app: "live/../..", stream: "x", port: 1935)
        for job in StreamProcessPlan.transcodes(s, vhost: v, ffLogDir: "./objs", time: time) + StreamProcessPlan.execs(s, vhost: v, ffLogDir: "./objs", time: time) {
            let path = try XCTUnwrap(job.command.stdoutPath)
            XCTAssertTrue(path.hasPrefix("./objs/") && !path.dropFirst(7).contains("/"), path)
        }
    }

    func testTranscodedOutputsAreNotTranscodedAgain() throws {
        let c = try load(Self.srsComparison)
        let sd = StreamProcessPlan.Stream(vhost: "__defaultVhost__", app: "live", stream: "livestream_sd", port: 19935)
        let published = [StreamKey(vhost: "__defaultVhost__", app: "live", stream: "livestream"), sd.key]
        XCTAssertTrue(StreamProcessPlan.isTranscodeOutput(sd, published: published, config: c, ports: [19935]))
        // The query form of the output names the same stream.
        let cp = StreamProcessPlan.Stream(vhost: "__defaultVhost__", app: "live", stream: "livestream_cp", port: 19935)
        XCTAssertTrue(StreamProcessPlan.isTranscodeOutput(cp, published: published + [cp.key], config: c, ports: [19935]))
        // The source itself, a stream whose source is not published, another server's port: transcoded.
        let src = StreamProcessPlan.Stream(vhost: "__defaultVhost__", app: "live", stream: "livestream", port: 19935)
        XCTAssertFalse(StreamProcessPlan.isTranscodeOutput(src, published: published, config: c, ports: [19935]))
        XCTAssertFalse(StreamProcessPlan.isTranscodeOutput(sd, published: [sd.key], config: c, ports: [19935]))
        XCTAssertFalse(StreamProcessPlan.isTranscodeOutput(sd, published: published, config: c, ports: [1935]))
    }

    func testRefusedConfigs() {
        XCTAssertEqual(error("listen 1935; vhost v { ingest a { enabled on; input { url x; } ffmpeg ff; } }"),
                       "t.conf:1: ingest a: an engine with an output is required")
        XCTAssertEqual(error("listen 1935; vhost v { ingest a { enabled on; input { url x; } engine { output o; } } }"),
                       "t.conf:1: ingest a: ffmpeg is required")
        XCTAssertEqual(error("listen 1935; vhost v { ingest a { enabled on; input { type device; url x; } } }"),
                       "t.conf:1: type expects one of file|stream, got \"device\"")
        XCTAssertEqual(error("listen 1935; vhost v { ingest a { } ingest a { } }"),
                       "t.conf:1: vhost v: duplicate ingest \"a\" (first at t.conf:1)")
        XCTAssertEqual(error("listen 1935; vhost v { transcode { enabled on; ffmpeg ff; engine e { enabled on; vcodec vn; acodec an; output o; } } }"),
                       "t.conf:1: transcode engine e: video and audio disabled")
        XCTAssertEqual(error("listen 1935; vhost v { forward { backend https://x; } }"),
                       "t.conf:1: forward backend \"https://x\" must be an http:// URL")
        // A disabled section is not checked (SRS ignores it).
        XCTAssertEqual(error("listen 1935; vhost v { transcode { enabled off; engine e { enabled on; vcodec vn; acodec an; } } }"), "no error")
    }

    func testReloadRestartsOnlyWhatChanged() throws {
        func ingests(_ body: String) throws -> ServerConfig {
            try load("listen 1935; vhost v { \(body) }")
        }
        let a = "ingest a { enabled on; input { url a.flv; } ffmpeg ff; engine { output rtmp://127.0.0.1/live/a; } }"
        let b = "ingest b { enabled on; input { url b.flv; } ffmpeg ff; engine { output rtmp://127.0.0.1/live/b; } }"
        let b2 = "ingest b { enabled on; input { url b2.flv; } ffmpeg ff; engine { output rtmp://127.0.0.1/live/b; } }"
        let c = "ingest c { enabled on; input { url c.flv; } ffmpeg ff; engine { output rtmp://127.0.0.1/live/c; } }"
        let old = try ingests(a + b)
        let new = try ingests(a + b2 + c)
        let (stop, start) = IngestJob.changes(from: old.ingestJobs(time: time), to: new.ingestJobs(time: time))
        XCTAssertEqual(stop, ["v/b/0"])
        XCTAssertEqual(start.map(\.id), ["v/b/0", "v/c/0"])
        // Time variables do not make a job new.
        let later = CalendarTime(epochMs: 1, year: 2030, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0)
        XCTAssertTrue(IngestJob.changes(from: old.ingestJobs(time: time), to: old.ingestJobs(time: later)).start.isEmpty)
        XCTAssertEqual(old.processReloadLines(to: new), [
            "vhost v reload ingest=b updated success.", "vhost v reload ingest=c added success.",
        ])
        XCTAssertEqual(new.processReloadLines(to: try ingests(a + "forward { enabled on; destination x; }")), [
            "vhost v reload forward success.", "vhost v reload ingest=b removed success.", "vhost v reload ingest=c removed success.",
        ])
        XCTAssertEqual(old.processReloadLines(to: old), ["ingest nothing changed for vhost=v"])
    }
}
