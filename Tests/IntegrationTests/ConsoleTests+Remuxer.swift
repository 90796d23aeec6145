import Foundation
import XCTest

/// The preview's remuxer on its own, in the browser: its MP4 read back by ffprobe, and played by
/// Chromium's Media Source Extensions across a change of picture size.
extension ConsoleTests {
    /// The page's remuxer, run on FLV files ffmpeg made, writes MP4 that ffprobe reads back whole:
    /// B-frames (composition offsets), a 1080p SPS with cropping, audio-only, and a timestamp
    /// reset mid-stream (a republish on the same connection), whose timeline goes on.
    func testRemuxerOutputIsValidMP4() throws {
        let srs = try start()
        let b = try browser("http://127.0.0.1:\(srs.httpPort)/index.html")
        try b.wait("document.readyState === 'complete'", timeout: 5, "the page loaded")
        let dir = srs.dir
        func flv(_ name: String, _ args: [String]) throws -> Data {
            let file = dir.appendingPathComponent("\(name).flv")
            let (status, out) = try Tool.run("ffmpeg", ["-v", "error", "-y"] + args + ["-f", "flv", file.path], timeout: 30)
            guard status == 0 else { throw TestError("ffmpeg \(name): \(out)") }
            return try Data(contentsOf: file)
        }
        let video = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=44100", "-t", "2",
                     "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac"]
        let bframes = try flv("bframes", video + ["-profile:v", "high", "-bf", "2"])
        let hd = try flv("hd", ["-f", "lavfi", "-i", "testsrc=size=1920x1080:rate=25", "-t", "0.5", "-c:v", "libx264",
                                "-preset", "ultrafast", "-pix_fmt", "yuv420p"])
        let audio = try flv("audio", ["-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "2", "-c:a", "aac"])
        // The second file's tags after the first's (without its header): timestamps start again at 0.
        let republished = bframes + bframes.dropFirst(13)

        func remux(_ data: Data, _ name: String) throws -> [String: [String: Any]] {
            let mp4 = try b.evaluate("""
                (async () => {
                  const { FLVDemuxer } = await import('/console/flv-demuxer.js');
                  const { FLVRemuxer } = await import('/console/flv-remuxer.js');
                  const flv = Uint8Array.from(atob('\(data.base64EncodedString())'), (c) => c.charCodeAt(0));
                  const d = new FLVDemuxer(), r = new FLVRemuxer(), out = [];
                  for (let i = 0; i < flv.length; i += 4096) out.push(...r.push(d.push(flv.subarray(i, i + 4096))));
                  out.push(...r.end());
                  let s = '';
                  for (const o of out) for (const byte of o.data) s += String.fromCharCode(byte);
                  return btoa(s);
                })()
                """) as? String ?? ""
            let file = dir.appendingPathComponent("\(name).mp4")
            try Data(base64Encoded: mp4)?.write(to: file)
            let (status, out) = try Tool.run("ffprobe", ["-v", "error", "-count_frames", "-show_entries",
                                                         "stream=codec_name,width,height,nb_read_frames,duration", "-of", "json", file.path],
                                             timeout: 20)
            guard status == 0, let j = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] else {
                throw TestError("ffprobe \(name): \(out)")
            }
            let streams = j["streams"] as? [[String: Any]] ?? []
            return Dictionary(uniqueKeysWithValues: streams.map { ($0["codec_name"] as? String ?? "", $0) })
        }
        let frames = { (s: [String: Any]?) in Int(s?["nb_read_frames"] as? String ?? "") ?? 0 }
        let seconds = { (s: [String: Any]?) in Double(s?["duration"] as? String ?? "") ?? 0 }

        let b1 = try remux(bframes, "bframes")
        XCTAssertEqual(frames(b1["h264"]), 50)
        XCTAssertEqual(seconds(b1["h264"]), 2, accuracy: 0.05)
        XCTAssertEqual(b1["h264"]?["width"] as? Int, 320)
        XCTAssertGreaterThan(frames(b1["aac"]), 80)
        let h = try remux(hd, "hd")
        XCTAssertEqual(h["h264"]?["width"] as? Int, 1920)
        XCTAssertEqual(h["h264"]?["height"] as? Int, 1080)
        XCTAssertEqual(frames(h["h264"]), 13)
        let a = try remux(audio, "audio")
        XCTAssertEqual(Array(a.keys), ["aac"])
        XCTAssertEqual(seconds(a["aac"]), 2, accuracy: 0.1)
        let r = try remux(republished, "republished")
        XCTAssertEqual(frames(r["h264"]), 100)
        XCTAssertEqual(seconds(r["h264"]), 4, accuracy: 0.1)

        // A republish at another size, a second later: a new init segment mid-stream, which
        // Chromium's MSE takes as one continuous range, decoding the rest at the new size.
        // (Both init segments before the first frame is decoded fail in Chromium: the first
        // frames are decoded with the second's parameters.)
        let larger = try flv("larger", video.map { $0 == "testsrc=size=320x240:rate=25" ? "testsrc=size=640x360:rate=25" : $0 })
        let played = try b.evaluate("""
            (async () => {
              const { FLVPlayer } = await import('/console/flv-player.js');
              const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
              const first = bytes('\(bframes.base64EncodedString())'), second = bytes('\(larger.dropFirst(13).base64EncodedString())');
              const realFetch = window.fetch;
              window.fetch = async () => new Response(new ReadableStream({ async start(c) {
                c.enqueue(first);
                await new Promise((r) => setTimeout(r, 1000));
                c.enqueue(second);
                c.close();
              } }));
              const v = document.createElement('video');
              v.muted = true;
              document.body.append(v);
              const states = [];
              const player = new FLVPlayer(v, (state, detail) => states.push(state));
              player.play('/republished.flv');
              for (let i = 0; i < 100 && player.session?.ms?.readyState !== 'ended'; i++) await new Promise((r) => setTimeout(r, 50));
              window.fetch = realFetch;
              const b = v.buffered;
              const ranges = [...Array(b.length).keys()].map((i) => [b.start(i), b.end(i)]);
              const before = v.videoWidth;
              await new Promise((r) => { v.addEventListener('seeked', r, { once: true }); v.currentTime = 3.5; setTimeout(r, 3000); });
              for (let i = 0; i < 40 && v.videoWidth === before; i++) await new Promise((r) => setTimeout(r, 50));
              return JSON.stringify({ states, error: v.error?.message ?? null, ranges, widths: [before, v.videoWidth] });
            })()
            """) as? String ?? ""
        let result = try JSONSerialization.jsonObject(with: Data(played.utf8)) as? [String: Any] ?? [:]
        XCTAssertEqual(result["states"] as? [String], ["connecting", "playing"], played)
        XCTAssertTrue(result["error"] is NSNull, played)
        let ranges = result["ranges"] as? [[Double]] ?? []
        XCTAssertEqual(ranges.count, 1, played)
        XCTAssertEqual(ranges.first?.first ?? -1, 0, accuracy: 0.1, played)
        XCTAssertEqual(ranges.first?.last ?? 0, 4, accuracy: 0.15, played)
        XCTAssertEqual(result["widths"] as? [Int], [320, 640], played)
        XCTAssertEqual(b.errors, [])
    }
}
