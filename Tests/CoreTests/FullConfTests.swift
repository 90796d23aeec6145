import Foundation
import XCTest
@testable import Core
import Kernel

/// conf/full.conf is the reference users read (as SRS's): it must load without a warning, set
/// every directive to its default, and name every directive the server knows.
final class FullConfTests: XCTestCase {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("conf/full.conf").path

    func testLoadsWithoutWarningsAndHoldsTheDefaults() throws {
        let loaded = try ConfigLoader.load(path: Self.path, environment: [:])
        XCTAssertEqual(loaded.warnings, [])
        // The defaults, with what full.conf turns on to show it (the API, the HTTP server, HLS,
        // HTTP-FLV are off by default).
        var expected = try ConfigLoader.parse("listen 1935; vhost __defaultVhost__ { }").config
        expected.httpAPI.enabled = true
        expected.httpServer.enabled = true
        expected.vhosts[0].hls.enabled = true
        expected.vhosts[0].httpRemux.enabled = true
        // The examples of the process sections are all disabled.
        expected.vhosts[0].forward.destinations = [HostPort(host: "127.0.0.1", port: 1936)]
        var ingest = IngestConfig(name: "livestream")
        ingest.inputURL = "./doc/source.flv"
        ingest.ffmpeg = "./objs/ffmpeg/bin/ffmpeg"
        var copy = FFmpegEngine()
        copy.output = "rtmp://127.0.0.1:[port]/live?vhost=[vhost]/livestream"
        ingest.engines = [copy]
        expected.vhosts[0].ingests = [ingest]
        var transcode = TranscodeConfig()
        transcode.ffmpeg = "./objs/ffmpeg/bin/ffmpeg"
        var sd = FFmpegEngine(name: "sd")
        (sd.perfile, sd.vfilter, sd.vparams, sd.aparams) = (["-re"], ["-vf", "scale=160:120"], ["-g", "50"], ["-profile:a", "aac_low"])
        (sd.vcodec, sd.vbitrate, sd.vfps, sd.vwidth, sd.vheight) = ("libx264", 300, 25, 160, 120)
        (sd.vprofile, sd.vpreset, sd.acodec, sd.abitrate, sd.asampleRate, sd.achannels) = ("baseline", "superfast", "aac", 45, 44100, 2)
        sd.output = "rtmp://127.0.0.1:[port]/[app]?vhost=[vhost]/[stream]_[engine]"
        transcode.engines = [sd]
        expected.vhosts[0].transcodes = [transcode]
        expected.vhosts[0].exec.publishes = [["./objs/ffmpeg/bin/ffmpeg", "-f", "flv", "-i", "[url]", "-c", "copy", "-y", "./[stream].flv"]]
        // The auth block's example user and password count only with `enabled on`.
        XCTAssertEqual(loaded.config, expected)
    }

    func testNamesEveryDirective() throws {
        let text = try String(contentsOfFile: Self.path, encoding: .utf8)
        let loaded = try ConfigLoader.load(path: Self.path, environment: [:])
        var set: Set<String> = []
        func collect(_ list: [ConfigDirective], _ prefix: String) {
            for d in list {
                let path = prefix.isEmpty ? d.name : "\(prefix).\(d.name)"
                set.insert(path)
                collect(d.children, d.name == "vhost" ? "vhost" : path)
            }
        }
        collect(loaded.directives, "")
        func walk(_ entries: [String: ConfigSchema.Entry], _ prefix: String) {
            for (name, entry) in entries {
                let path = prefix.isEmpty ? name : "\(prefix).\(name)"
                switch entry {
                case .value:
                    // Set, or shown commented out (`# origin 127.0.0.1:19350;`).
                    XCTAssertTrue(set.contains(path) || text.range(of: "#\\s+\(name)\\s", options: .regularExpression) != nil,
                                  "full.conf does not show \(path)")
                case .block(let children):
                    XCTAssertTrue(set.contains(path), "full.conf has no \(path) block")
                    walk(children, path)
                case .any:
                    // Free-form option blocks (an engine's ffmpeg options) are shown once.
                    XCTAssertTrue(set.contains { $0.hasSuffix(".\(name)") }, "full.conf has no \(path) block")
                case .unsupported:
                    XCTAssertNotNil(text.range(of: "\\b\(name)\\b", options: .regularExpression),
                                    "full.conf does not list the unsupported \(path)")
                }
            }
        }
        walk(ConfigSchema.root, "")
    }
}
