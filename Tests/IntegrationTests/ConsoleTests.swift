import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The console (html/console.html) in headless Chromium, driven over the DevTools protocol,
/// against the real `srs` with ffmpeg publishing: it lists the stream, its preview plays (the
/// page's FLV→fMP4 remuxer feeding Media Source Extensions), the kick button disconnects a
/// client, the API's basic auth gets a login prompt, the API's address can be changed.
final class ConsoleTests: XCTestCase {
    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_api { enabled on; listen {API}; }
        http_server { enabled on; listen {HTTP}; dir \(HTTPIntegrationTests.htmlDir); }
        vhost __defaultVhost__ {
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
        }
        """

    var cleanups: [() -> Void] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(HeadlessChromium.binary != nil && Tool.available("ffmpeg"), "chromium/ffmpeg not installed")
    }

    override func tearDown() {
        for cleanup in cleanups.reversed() { cleanup() }
        cleanups = []
    }

    func start(_ config: String = ConsoleTests.config) throws -> SRSProcess {
        let srs = try SRSProcess(config: config)
        cleanups.append { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        try srs.waitListening(srs.apiPort)
        return srs
    }

    private func publish(_ srs: SRSProcess, _ stream: String, seconds: Int = 30, extra: [String] = []) throws -> Tool {
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/\(stream)", seconds: seconds, extra: extra)
        cleanups.append { pub.stop() }
        return pub
    }

    func browser(_ url: String, script: String? = nil) throws -> HeadlessChromium {
        let b = try HeadlessChromium()
        cleanups.append { b.stop() }
        try b.open(url, script: script)
        return b
    }

    private func consoleURL(_ srs: SRSProcess) -> String {
        "http://127.0.0.1:\(srs.httpPort)/console.html?host=127.0.0.1&port=\(srs.apiPort)"
    }

    /// The page lists the published stream within 5 s with its codecs, its preview plays (the
    /// video's clock advances by more than a second, frames of the published size decoded), the
    /// screenshot shows it, and nothing was logged as an error.
    func testListsStreamAndPreviewPlays() throws {
        let srs = try start()
        _ = try publish(srs, "console")
        try srs.waitForLog("start publish stream", timeout: 10)
        let b = try browser(consoleURL(srs))
        let row = "document.querySelector('#streams tr[data-stream=\"/live/console\"]')"
        let text = try b.wait("\(row)?.textContent", timeout: 5, "the stream listed") as? String ?? ""
        XCTAssertTrue(text.contains("H264") && text.contains("320×240") && text.contains("AAC"), text)

        try b.evaluate("document.querySelector('button[data-preview=\"/live/console\"]').click()")
        try b.wait("document.querySelector('#preview').dataset.state === 'playing'", timeout: 10, "the preview playing")
        let video = "document.querySelector('#preview video')"
        let first = try b.wait("\(video).currentTime", timeout: 5, "the video's clock started") as? Double ?? 0
        try b.wait("\(video).currentTime > \(first + 1) && \(video).currentTime > 1", timeout: 10, "the video's clock advancing")
        XCTAssertEqual(try b.evaluate("\(video).videoWidth") as? Int, 320)
        XCTAssertEqual(try b.evaluate("\(video).videoHeight") as? Int, 240)
        let frames = try b.evaluate("\(video).getVideoPlaybackQuality().totalVideoFrames") as? Int ?? 0
        XCTAssertGreaterThan(frames, 25)
        XCTAssertEqual(try b.evaluate("document.querySelector('#preview-state').textContent") as? String,
                       "playing: video/mp4; codecs=\"avc1.42c00d,mp4a.40.2\"")

        try checkScreenshot(b, in: srs.dir)
        XCTAssertEqual(b.errors, [])
    }

    /// The kick button next to a client disconnects it: the API no longer lists it, nor does the page.
    func testKickButtonDisconnectsClient() throws {
        let srs = try start()
        _ = try publish(srs, "kick")
        try srs.waitForLog("start publish stream", timeout: 10)
        let player = try Tool("ffmpeg", ["-v", "error", "-i", "rtmp://127.0.0.1:\(srs.rtmpPort)/live/kick", "-t", "30", "-f", "null", "-"])
        cleanups.append { player.stop() }
        let id = try Self.waitForClient(srs, type: "rtmp-play")
        let b = try browser(consoleURL(srs))
        let button = "document.querySelector('button[data-kick=\"\(id)\"]')"
        try b.wait("\(button) !== null", timeout: 5, "the client listed")
        try b.evaluate("\(button).click()")
        XCTAssertTrue(try Deadline.wait(timeout: 5, every: 0.1) { try !Self.clientIDs(srs).contains(id) },
                      "client \(id) still listed by the API 5 s after the kick")
        try b.wait("\(button) === null", timeout: 5, "the client gone from the page")
        XCTAssertEqual(try b.evaluate("document.querySelector('#notice').textContent") as? String, "kicked \(id)")
        XCTAssertEqual(b.errors, [])
    }

    /// With `http_api { auth { ... } }` the page asks for a user and password (a wrong one again),
    /// then shows the server with the right one.
    func testAsksForCredentialsWhenAPIHasAuth() throws {
        let srs = try start(Self.config.replacingOccurrences(
            of: "http_api { enabled on; listen {API}; }",
            with: "http_api { enabled on; listen {API}; auth { enabled on; username admin; password s3cret; } }"))
        _ = try publish(srs, "auth")
        try srs.waitForLog("start publish stream", timeout: 10)
        let b = try browser(consoleURL(srs))
        try b.wait("document.querySelector('#login').open", timeout: 5, "the login prompt")
        let signIn = { (user: String, password: String) in
            _ = try b.evaluate("""
                document.querySelector('#login-user').value = '\(user)';
                document.querySelector('#login-password').value = '\(password)';
                document.querySelector('#login-submit').click()
                """)
        }
        try signIn("admin", "wrong")
        try b.wait("document.querySelector('#login').open && document.querySelector('#login-why').textContent", timeout: 5, "the prompt again")
        XCTAssertEqual(try b.evaluate("document.querySelector('#login-why').textContent") as? String, "Wrong user or password.")
        try signIn("admin", "s3cret")
        try b.wait("document.querySelector('#streams tr[data-stream=\"/live/auth\"]')", timeout: 5, "the stream listed")
        XCTAssertEqual(try b.evaluate("document.querySelector('#login').open") as? Bool, false)
        // Chromium logs each refused request; nothing else went wrong.
        XCTAssertEqual(b.errors.filter { !$0.contains("status of 401 (Unauthorized) http://127.0.0.1:\(srs.apiPort)/api/v1/") }, [])
    }

    /// A stream without audio and one without video play too; when the publisher leaves, the
    /// preview plays what it has and ends, without an error.
    func testPreviewPlaysVideoOnlyAndAudioOnlyAndEndsWithTheStream() throws {
        let srs = try start()
        _ = try publish(srs, "videoonly", seconds: 7, extra: ["-an"])
        // Not FFmpeg.publish with -vn: its unused video input would no longer pace the audio.
        let audio = try Tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                                        "-t", "30", "-c:a", "aac", "-b:a", "64k", "-f", "flv", "rtmp://127.0.0.1:\(srs.rtmpPort)/live/audioonly"])
        cleanups.append { audio.stop() }
        let b = try browser(consoleURL(srs))
        let video = "document.querySelector('#preview video')"
        let state = "document.querySelector('#preview-state').textContent"
        for stream in ["videoonly", "audioonly"] {
            try b.wait("document.querySelector('button[data-preview=\"/live/\(stream)\"]:not([disabled])')", timeout: 10,
                       "/live/\(stream) listed")
            try b.evaluate("document.querySelector('button[data-preview=\"/live/\(stream)\"]').click()")
            try b.wait("document.querySelector('#preview').dataset.state === 'playing'", timeout: 10, "\(stream) playing")
            let first = try b.wait("\(video).currentTime", timeout: 5, "\(stream): the clock started") as? Double ?? 0
            try b.wait("\(video).currentTime > \(first + 1)", timeout: 10, "\(stream): the clock advancing")
            if stream == "videoonly" {
                XCTAssertEqual(try b.evaluate(state) as? String, "playing: video/mp4; codecs=\"avc1.42c00d\"")
                XCTAssertEqual(try b.evaluate("\(video).videoWidth") as? Int, 320)
                // The publisher stops after 7 s: the preview ends on its own.
                try b.wait("document.querySelector('#preview').dataset.state === 'ended'", timeout: 15, "the preview ended")
                XCTAssertEqual(try b.evaluate("\(video).error === null && \(video).ended") as? Bool, true)
            } else {
                XCTAssertEqual(try b.evaluate(state) as? String, "playing: audio/mp4; codecs=\"mp4a.40.2\"")
                XCTAssertEqual(try b.evaluate("\(video).videoWidth") as? Int, 0)
            }
        }
        XCTAssertEqual(b.errors, [])
    }

    /// What the console shows once the API reports workers (not yet: docs/console.md): a row per
    /// worker with its generation and state, a draining one marked, the worker of each stream and
    /// client. The page's fetch is wrapped to add those fields to the real server's answers.
    func testShowsWorkersAndDrainStateWhenTheAPIHasThem() throws {
        let srs = try start()
        _ = try publish(srs, "workers")
        try srs.waitForLog("start publish stream", timeout: 10)
        let b = try browser(consoleURL(srs), script: """
            const realFetch = window.fetch;
            window.fetch = async (input, init) => {
              const res = await realFetch(input, init);
              if (!/\\/api\\/v1\\/(summaries|streams\\/|clients\\/)/.test(String(input))) return res;
              const j = await res.json();
              if (j.data) {
                j.data.self.generation = 2;
                j.data.workers = [
                  {index: 0, pid: 1001, generation: 2, state: 'ready', conns: 2, cpu_percent: 0.05, mem_kbyte: 20480, uptime: 5},
                  {index: 1, pid: 900, generation: 1, state: 'draining', conns: 1, cpu_percent: 0.01, mem_kbyte: 10240, uptime: 70}];
              }
              for (const s of j.streams || []) s.worker = 0;
              for (const c of j.clients || []) c.worker = 1;
              return new Response(JSON.stringify(j), {status: res.status, headers: res.headers});
            };
            """)
        try b.wait("document.querySelectorAll('#workers tbody tr').length === 2", timeout: 5, "a row per worker")
        let rows = try b.evaluate("""
            [...document.querySelectorAll('#workers tbody tr')].map(r => r.className + ': ' + [...r.cells].map(c => c.textContent).join('|'))
            """) as? [String]
        XCTAssertEqual(rows, ["state-ready: 0|1001|2|ready|2|5.0 %|20.0 MB|5s", "state-draining: 1|900|1|draining|1|1.0 %|10.0 MB|1m 10s"])
        XCTAssertEqual(try b.evaluate("document.querySelector('#workers-note').hidden") as? Bool, true)
        XCTAssertEqual(try b.evaluate("[...document.querySelectorAll('.fact')].find(f => f.textContent.startsWith('generation')).textContent") as? String,
                       "generation2")
        try b.wait("document.querySelector('#streams.with-worker tr[data-stream=\"/live/workers\"]')", timeout: 5, "the streams' worker column")
        try b.wait("document.querySelector('#clients.with-worker tbody tr')", timeout: 5, "the clients' worker column")
        let columns = try b.evaluate("getComputedStyle(document.querySelector('#clients th.worker')).display") as? String
        XCTAssertEqual(columns, "table-cell")
        XCTAssertEqual(b.errors, [])
    }

    /// The API's address in the header: an unreachable one says so; typing the right one in
    /// reloads the page with SRS's `?host=&port=`, which then shows the server.
    func testAPIAddressFromTheHeader() throws {
        let srs = try start()
        let nothing = FreePort.next() // nothing listens there
        let b = try browser("http://127.0.0.1:\(srs.httpPort)/console.html?port=\(nothing)")
        try b.wait("document.querySelector('#status.error')?.textContent.includes('http://127.0.0.1:\(nothing) unreachable')", timeout: 5,
                   "the unreachable API reported")
        try b.evaluate("""
            document.querySelector('#address input').value = '127.0.0.1:\(srs.apiPort)';
            document.querySelector('#address button').click()
            """)
        try b.wait("location.search === '?port=\(srs.apiPort)&host=127.0.0.1'", timeout: 5, "the new address in the URL")
        // The API lists its workers (summaries.data.workers): the table shows the worker's pid.
        let pid = try b.wait("document.querySelector('#workers tbody td:nth-child(2)')?.textContent", timeout: 5, "the server shown")
        XCTAssertEqual(Processes.children(of: srs.pid).map(String.init), [pid as? String ?? ""])
        XCTAssertEqual(try b.evaluate("document.querySelector('#address input').value") as? String, "http://127.0.0.1:\(srs.apiPort)")
        XCTAssertEqual(b.errors.filter { !$0.contains("ERR_CONNECTION_REFUSED") }, [])
    }

    /// The id of the first client of `type` the API lists, waiting for it up to 10 s.
    private static func waitForClient(_ srs: SRSProcess, type: String) throws -> String {
        var id: String?
        try Deadline.require("\(type) client", timeout: 10, every: 0.1) {
            let clients = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/clients/?count=100")["clients"] as? [[String: Any]] ?? []
            id = clients.first(where: { $0["type"] as? String == type })?["id"] as? String
            return id != nil
        }
        return id ?? ""
    }

    private static func clientIDs(_ srs: SRSProcess) throws -> [String] {
        let clients = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/clients/?count=100")["clients"] as? [[String: Any]] ?? []
        return clients.compactMap { $0["id"] as? String }
    }

    // MARK: - Screenshot

    /// A PNG of the page at the browser's size, not one colour, with the video's box showing a
    /// picture (testsrc's colour bars), not a black or uniform rectangle.
    private func checkScreenshot(_ b: HeadlessChromium, in dir: URL) throws {
        let png = try b.screenshot()
        let file = dir.appendingPathComponent("console.png")
        try png.write(to: file)
        if let keep = ProcessInfo.processInfo.environment["CONSOLE_SCREENSHOT"] { try? png.write(to: URL(fileURLWithPath: keep)) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: file.path))
        // IHDR: width and height, big-endian, at bytes 16 and 20.
        XCTAssertEqual(png.prefix(8), Data([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
        let be32 = { (o: Int) in png[o..<o + 4].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual(be32(16), b.width)
        XCTAssertEqual(be32(20), b.height)
        let page = try Self.pixels(file, filter: "scale=64:45")
        XCTAssertGreaterThan(Set(page).count, 8, "the page is blank")
        let rect = try b.evaluate("JSON.stringify(document.querySelector('#preview video').getBoundingClientRect())") as? String ?? ""
        let r = try JSONSerialization.jsonObject(with: Data(rect.utf8)) as? [String: Double] ?? [:]
        let (x, y, w, h) = (Int(r["x"] ?? 0), Int(r["y"] ?? 0), Int(r["width"] ?? 0), Int(r["height"] ?? 0))
        XCTAssertTrue(w > 100 && h > 60 && x + w <= b.width && y + h <= b.height, rect)
        let video = try Self.pixels(file, filter: "crop=\(w):\(h):\(x):\(y),scale=32:18")
        XCTAssertGreaterThan(Set(video).count, 6, "the video shows no picture")
    }

    /// The RGB pixels of an image, through an ffmpeg filter, as 24-bit values.
    private static func pixels(_ file: URL, filter: String) throws -> [Int] {
        let raw = file.deletingPathExtension().appendingPathExtension("rgb")
        let (status, out) = try Tool.run("ffmpeg", ["-v", "error", "-y", "-i", file.path, "-vf", filter,
                                                    "-f", "rawvideo", "-pix_fmt", "rgb24", raw.path], timeout: 20)
        guard status == 0, let data = try? Data(contentsOf: raw) else { throw TestError("ffmpeg \(filter): \(out)") }
        let b = [UInt8](data)
        return stride(from: 0, to: b.count - 2, by: 3).map { (i: Int) -> Int in
            let r = Int(b[i]) << 16, g = Int(b[i + 1]) << 8
            return r | g | Int(b[i + 2])
        }
    }
}
