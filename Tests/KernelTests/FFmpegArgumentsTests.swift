import XCTest
@testable import Kernel

/// The expected argv are what SRS 7 (`objs/srs`, SRS_FFMPEG_STUB on) passed to a fake ffmpeg
/// that logged its arguments, for the engines below (see docs/processes.md).
final class FFmpegArgumentsTests: XCTestCase {
    let input = "rtmp://127.0.0.1:19935/live?vhost=__defaultVhost__/livestream"

    func testEncodingEngineInSRSOrder() {
        var e = FFmpegEngine(name: "sd")
        e.enabled = true
        e.vfilter = ["-vf", "scale=160:120"]
        e.vcodec = "libx264"
        e.vbitrate = 300
        e.vfps = 20
        e.vwidth = 161
        e.vheight = 120
        e.vthreads = 2
        e.vprofile = "baseline"
        e.vpreset = "superfast"
        e.vparams = ["-t", "100", "-bf", "0"]
        e.acodec = "aac"
        e.abitrate = 45
        e.asampleRate = 44100
        e.achannels = 2
        e.aparams = ["-profile:a", "aac_low"]
        let out = "rtmp://127.0.0.1:19935/live?vhost=__defaultVhost__/livestream_sd"
        XCTAssertEqual(FFmpegArguments(transcode: e, input: input, output: out).arguments, [
            "-f", "flv", "-i", input, "-vf", "scale=160:120", "-vcodec", "libx264", "-b:v", "300000", "-r", "20.00",
            "-s", "160x120", "-aspect", "160:120", "-threads", "2", "-profile:v", "baseline", "-preset", "superfast",
            "-t", "100", "-bf", "0", "-acodec", "aac", "-b:a", "45000", "-ar", "44100", "-ac", "2", "-profile:a", "aac_low",
            "-f", "flv", "-y", out,
        ])
    }

    func testCopyEngineKeepsOnlyTheADTSFilterOfTheAudioParams() {
        var e = FFmpegEngine(name: "cp")
        e.vcodec = "copy"
        e.acodec = "copy"
        e.vbitrate = 500
        e.aparams = ["-bsf:a", "aac_adtstoasc", "-x", "y"]
        XCTAssertEqual(FFmpegArguments(transcode: e, input: input, output: "o").arguments,
                       ["-f", "flv", "-i", input, "-vcodec", "copy", "-acodec", "copy", "-bsf:a", "aac_adtstoasc", "-f", "flv", "-y", "o"])
    }

    func testNoVideoPerfileAndFormatsOff() {
        var e = FFmpegEngine(name: "nv")
        e.perfile = ["-re", "-rtsp_transport", "tcp"]
        e.iformat = "off"
        e.vcodec = "vn"
        e.acodec = "copy"
        e.oformat = "off"
        XCTAssertEqual(FFmpegArguments(transcode: e, input: input, output: "o").arguments,
                       ["-re", "-rtsp_transport", "tcp", "-i", input, "-vn", "-acodec", "copy", "-y", "o"])
        e.vcodec = "copy"
        e.acodec = "an"
        XCTAssertEqual(FFmpegArguments(transcode: e, input: input, output: "o").arguments,
                       ["-re", "-rtsp_transport", "tcp", "-i", input, "-vcodec", "copy", "-an", "-y", "o"])
    }

    func testIngestCopyAndEncodeAsSRS() {
        let copy = FFmpegArguments(copyFrom: "./in.flv", output: "rtmp://127.0.0.1:19935/live/cam", oformat: "flv",
                                   iparams: ["-loglevel", "info", "-re"])
        XCTAssertEqual(copy.arguments, ["-loglevel", "info", "-re", "-i", "./in.flv", "-vcodec", "copy", "-acodec", "copy",
                                        "-f", "flv", "-y", "rtmp://127.0.0.1:19935/live/cam"])
        var e = FFmpegEngine()
        e.enabled = true
        e.vcodec = "libx264"
        e.vbitrate = 100
        e.vwidth = 160
        e.vheight = 120
        e.vprofile = "main"
        e.vpreset = "ultrafast"
        e.acodec = "aac"
        // The input format applies to RTMP inputs only.
        let rtmp = FFmpegArguments(transcode: e, input: "rtmp://example.com/live/x", output: "o", iparams: ["-loglevel", "info", "-re"])
        XCTAssertEqual(rtmp.arguments, ["-loglevel", "info", "-re", "-f", "flv", "-i", "rtmp://example.com/live/x", "-vcodec", "libx264",
                                        "-b:v", "100000", "-s", "160x120", "-aspect", "160:120", "-threads", "1", "-profile:v", "main",
                                        "-preset", "ultrafast", "-acodec", "aac", "-f", "flv", "-y", "o"])
        XCTAssertEqual(FFmpegArguments(transcode: e, input: "./a.mp4", output: "o").arguments.prefix(2), ["-i", "./a.mp4"])
    }

    func testFramesPerSecondAsPrintf() {
        XCTAssertEqual(FFmpegArguments.fixed2(20), "20.00")
        XCTAssertEqual(FFmpegArguments.fixed2(29.97), "29.97")
        XCTAssertEqual(FFmpegArguments.fixed2(0.5), "0.50")
        XCTAssertEqual(FFmpegArguments.fixed2(12.345), "12.35")
    }

    func testRefusalsAsSRS() {
        var e = FFmpegEngine()
        e.output = "o"
        e.vcodec = "vn"
        e.acodec = "an"
        XCTAssertEqual(e.refusal, "video and audio disabled")
        e.vcodec = "libx264"
        e.acodec = "copy"
        XCTAssertEqual(e.refusal, "vprofile is required to encode video (vcodec libx264)")
        e.vprofile = "main"
        XCTAssertEqual(e.refusal, "vpreset is required to encode video (vcodec libx264)")
        e.vpreset = "fast"
        XCTAssertNil(e.refusal)
        e.acodec = "aac"
        e.achannels = 6
        XCTAssertEqual(e.refusal, "invalid achannels, must be 1 or 2, actual 6")
        e.achannels = 2
        e.output = ""
        XCTAssertEqual(e.refusal, "invalid empty output")
    }
}
