import Foundation
import XCTest
@testable import App

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
                case .unsupported:
                    XCTAssertNotNil(text.range(of: "\\b\(name)\\b", options: .regularExpression),
                                    "full.conf does not list the unsupported \(path)")
                }
            }
        }
        walk(ConfigSchema.root, "")
    }
}
