import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
/// commands in on fd 3, answers and events out on fd 4, each a JSON text ended by a NUL). The
/// two fds are FIFOs the test opens read-write and non-blocking first, so no open, read or write
/// blocks. One page; every wait is bounded; `stop()` ends the browser by pid and removes its
/// profile.
final class HeadlessChromium {
    static var binary: String? { ["chromium", "chromium-browser"].first { Tool.available($0) } }

    let width: Int
    let height: Int
    private let dir: URL
    private let process: Tool
    private let toBrowser: Int32
    private let fromBrowser: Int32
    private var buffer: [UInt8] = []
    private var nextID = 0
    private var session: String?
    /// What the page reported as errors: uncaught exceptions, console.error, failed loads.
    private(set) var errors: [String] = []
    /// Warnings the page logged (deprecations, interventions), for failure messages.
    private(set) var warnings: [String] = []

    init(width: Int = 1280, height: Int = 900) throws {
        guard let binary = Self.binary else { throw TestError("chromium not installed") }
        self.width = width
        self.height = height
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let input = dir.appendingPathComponent("in").path, output = dir.appendingPathComponent("out").path
        let toFD = mkfifo(input, 0o600) == 0 ? Glibc.open(input, O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1
        let fromFD = mkfifo(output, 0o600) == 0 ? Glibc.open(output, O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1
        let dir = self.dir
        let cleanUp = {
            if toFD >= 0 { close(toFD) }
            if fromFD >= 0 { close(fromFD) }
            try? FileManager.default.removeItem(at: dir)
        }
        guard toFD >= 0, fromFD >= 0 else {
            let why = errno
            cleanUp()
            throw TestError("mkfifo/open fifo: errno \(why)")
        }
        do {
            process = try Tool("/bin/sh", ["-c", "in=$1 out=$2; shift 2; exec \"$@\" 3<\"$in\" 4>\"$out\"", "sh", input, output,
                                           binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                                           "--user-data-dir=\(dir.appendingPathComponent("profile").path)", "--no-first-run",
                                           "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                                           "--disable-component-update", "--mute-audio", "--hide-scrollbars",
                                           "--autoplay-policy=no-user-gesture-required", "--window-size=\(width),\(height)"])
        } catch {
            cleanUp()
            throw error
        }
        toBrowser = toFD
        fromBrowser = fromFD
    }

    /// Opens `url` in a new page and follows it: later commands go to that page. `script`, when
    /// given, runs in the page before any of its own.
    func open(_ url: String, script: String? = nil) throws {
        let target = try send("Target.createTarget", ["url": "about:blank"], toPage: false)
        guard let targetID = target["targetId"] as? String else { throw TestError("no target: \(target)") }
        let attached = try send("Target.attachToTarget", ["targetId": targetID, "flatten": true], toPage: false)
        session = attached["sessionId"] as? String
        for domain in ["Runtime", "Log", "Page"] { _ = try send("\(domain).enable") }
        if let script { _ = try send("Page.addScriptToEvaluateOnNewDocument", ["source": script]) }
        _ = try send("Emulation.setDeviceMetricsOverride", ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
        _ = try send("Page.navigate", ["url": url])
    }

    /// The value of a JavaScript expression in the page (promises awaited).
    @discardableResult
    func evaluate(_ expression: String) throws -> Any? {
        let r = try send("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let e = r["exceptionDetails"] as? [String: Any] { throw TestError("\(expression): \(Self.describe(e))") }
        return (r["result"] as? [String: Any])?["value"]
    }

    /// Evaluates `expression` every 100 ms until it is truthy; returns that value, or throws
    /// with the last one (or the last exception: the page may still be loading) after `timeout`.
    @discardableResult
    func wait(_ expression: String, timeout: TimeInterval, _ what: String) throws -> Any {
        let deadline = Deadline(seconds: timeout)
        var last: Any? = nil
        repeat {
            do {
                last = try evaluate(expression)
            } catch let e as TestError where e.description.hasPrefix(expression) || Self.isNavigation(e) {
                last = e
            }
            if let v = last, !(v is NSNull), !(v is TestError), (v as? Bool) != false, (v as? String) != "",
               (v as? NSNumber)?.doubleValue != 0 {
                return v
            }
            pump(timeout: 0.1)
        } while !deadline.hasPassed
        throw TestError("\(what): not within \(timeout)s (last: \(String(describing: last)))\nerrors: \(errors)\nwarnings: \(warnings)")
    }

    /// DevTools refuses an evaluation while the page navigates (a reload the page started
    /// itself): the next poll finds the new document.
    private static func isNavigation(_ e: TestError) -> Bool {
        e.description.contains("Inspected target navigated or closed") || e.description.contains("Cannot find context with specified id")
    }

    /// A PNG of the page as it is shown.
    func screenshot() throws -> Data {
        let r = try send("Page.captureScreenshot", ["format": "png"])
        guard let b64 = r["data"] as? String, let png = Data(base64Encoded: b64) else { throw TestError("no screenshot") }
        return png
    }

    func send(_ method: String, _ params: [String: Any] = [:], toPage: Bool = true, timeout: TimeInterval = 15) throws -> [String: Any] {
        nextID += 1
        let id = nextID
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if toPage, let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        let deadline = Deadline(seconds: timeout)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(toBrowser, $0.baseAddress, $0.count) }
            if n >= 0 {
                sent += n
            } else if errno == EAGAIN {
                // The pipe is full (a large expression): wait for the browser to read, bounded.
                guard !deadline.hasPassed, process.isRunning else { throw TestError("\(method): chromium is not reading") }
                var fds = pollfd(fd: toBrowser, events: Int16(POLLOUT), revents: 0)
                _ = poll(&fds, 1, 100)
            } else if errno != EINTR {
                throw TestError("write to chromium: errno \(errno)")
            }
        }
        while !deadline.hasPassed {
            for m in pump(timeout: deadline.remaining) where m["id"] as? Int == id {
                if let e = m["error"] { throw TestError("\(method): \(e)") }
                return m["result"] as? [String: Any] ?? [:]
            }
            if !process.isRunning { throw TestError("chromium exited: \(process.output.suffix(2000))") }
        }
        throw TestError("\(method): no answer within \(timeout)s")
    }

    /// Reads what arrived within `timeout`, records the page's errors, returns the messages.
    @discardableResult
    private func pump(timeout: TimeInterval) -> [[String: Any]] {
        var fds = pollfd(fd: fromBrowser, events: Int16(POLLIN), revents: 0)
        guard poll(&fds, 1, Int32(max(0, min(timeout, 1)) * 1000)) > 0 else { return [] }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fromBrowser, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            buffer += chunk[0..<n]
        }
        var messages: [[String: Any]] = []
        while let end = buffer.firstIndex(of: 0) {
            let text = Data(buffer[..<end])
            buffer.removeSubrange(...end)
            guard let m = try? JSONSerialization.jsonObject(with: text) as? [String: Any] else { continue }
            record(m)
            messages.append(m)
        }
        return messages
    }

    private func record(_ m: [String: Any]) {
        let p = m["params"] as? [String: Any] ?? [:]
        switch m["method"] as? String {
        case "Runtime.exceptionThrown":
            errors.append("exception: " + Self.describe(p["exceptionDetails"] as? [String: Any] ?? [:]))
        case "Runtime.consoleAPICalled":
            let args = (p["args"] as? [[String: Any]] ?? []).map { "\($0["value"] ?? $0["description"] ?? "")" }
            let type = p["type"] as? String ?? ""
            if type == "error" || type == "assert" { errors.append("console.\(type): " + args.joined(separator: " ")) }
            if type == "warning" { warnings.append("console.warn: " + args.joined(separator: " ")) }
        case "Log.entryAdded":
            let e = p["entry"] as? [String: Any] ?? [:]
            let line = "log: \(e["text"] ?? "") \(e["url"] ?? "")"
            if e["level"] as? String == "error" { errors.append(line) }
            if e["level"] as? String == "warning" { warnings.append(line) }
        default:
            break
        }
    }

    private static func describe(_ details: [String: Any]) -> String {
        let exception = details["exception"] as? [String: Any]
        return "\(exception?["description"] ?? details["text"] ?? details)"
    }

    /// Asks the browser to close (its renderers with it), then ends it by pid.
    func stop() {
        if process.isRunning {
            _ = try? send("Browser.close", toPage: false, timeout: 3)
            Deadline.wait(timeout: 3) { !process.isRunning }
        }
        process.stop()
        close(toBrowser)
        close(fromBrowser)
        try? FileManager.default.removeItem(at: dir)
    }
}
