import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process (ffmpeg, ffprobe, curl...) with captured output, bounded in time, killed by pid.
final class Tool {
    let process = Process()
    private let outURL: URL
    let name: String

    init(_ name: String, _ args: [String]) throws {
        self.name = name
        outURL = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let h = try FileHandle(forWritingTo: outURL)
        process.executableURL = URL(fileURLWithPath: name.hasPrefix("/") ? name : Tool.which(name))
        process.arguments = args
        process.standardOutput = h
        process.standardError = h
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    static func which(_ name: String) -> String {
        for d in ["/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin"] where FileManager.default.isExecutableFile(atPath: "\(d)/\(name)") {
            return "\(d)/\(name)"
        }
        return name
    }

    static func available(_ name: String) -> Bool { which(name).hasPrefix("/") }

    var output: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    /// Waits for exit within `timeout`; kills on timeout. Returns the exit status (nil if killed).
    @discardableResult
    func wait(timeout: TimeInterval) -> Int32? {
        if Deadline.wait(timeout: timeout, { !process.isRunning }) { return process.terminationStatus }
        stop()
        return nil
    }

    func stop() {
        defer { try? FileManager.default.removeItem(at: outURL) }
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if !Deadline.wait(timeout: 3, { !process.isRunning }) { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Runs to completion and returns (status, output).
    static func run(_ name: String, _ args: [String], timeout: TimeInterval) throws -> (Int32?, String) {
        let t = try Tool(name, args)
        let status = t.wait(timeout: timeout)
        let out = t.output
        t.stop()
        return (status, out)
    }
}

/// ffmpeg as a publisher of a synthetic H.264 + AAC stream.
enum FFmpeg {
    /// Publishes testsrc + sine in real time to `url` for `seconds`.
    static func publish(to url: String, seconds: Int = 30, size: String = "320x240", gop: Int = 25, extra: [String] = []) throws -> Tool {
        try Tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re",
                            "-f", "lavfi", "-i", "testsrc=size=\(size):rate=25",
                            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                            "-t", "\(seconds)",
                            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "\(gop)",
                            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"] + extra + ["-f", "flv", url])
    }

    /// ffprobe of a live URL: JSON with streams and format tags.
    static func probe(_ url: String, timeout: TimeInterval = 15) throws -> [String: Any] {
        let (status, out) = try Tool.run("ffprobe", ["-v", "error", "-rw_timeout", "8000000",
                                                     "-show_entries", "stream=codec_name,codec_type,width,height:format_tags",
                                                     "-of", "json", url], timeout: timeout)
        guard status == 0, let data = out.data(using: .utf8),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestError("ffprobe \(url) failed (\(String(describing: status))): \(out)")
        }
        return json
    }

    static func codecs(_ probe: [String: Any]) -> Set<String> {
        Set((probe["streams"] as? [[String: Any]] ?? []).compactMap { $0["codec_name"] as? String })
    }
}
