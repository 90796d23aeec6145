import Protocol
import System
import XCTest
@testable import App
import Core

/// Sources take their vhost's GOP cache settings whoever feeds them (a client publisher, an edge
/// pull, a sibling worker's relay), and again after a reload.
final class SourceManagerTests: XCTestCase {
    func testEverySourceTakesItsVhostsGOPCacheSettings() throws {
        let loop = try EventLoop()
        var config = ServerConfig()
        var v = VhostConfig(name: VhostConfig.defaultName)
        v.play.gopCache = false
        v.play.gopCacheMaxFrames = 10
        config.vhosts = [v]
        let server = Server(config: config, loop: loop)

        // A relay's source is created by the first player (it has no publisher of its own).
        let relayed = server.sources.fetchOrCreate(StreamKey(vhost: v.name, app: "live", stream: "relayed"), now: loop.now)
        XCTAssertFalse(relayed.gopCacheEnabled)
        XCTAssertEqual(relayed.gopCacheMaxFrames, 10)

        var reloaded = config
        reloaded.vhosts[0].play.gopCache = true
        reloaded.vhosts[0].play.gopCacheMaxFrames = 300
        server.reload(reloaded, listeners: [])
        XCTAssertTrue(relayed.gopCacheEnabled)
        XCTAssertEqual(relayed.gopCacheMaxFrames, 300)
        let fresh = server.sources.fetchOrCreate(StreamKey(vhost: v.name, app: "live", stream: "fresh"), now: loop.now)
        XCTAssertTrue(fresh.gopCacheEnabled)
        XCTAssertEqual(fresh.gopCacheMaxFrames, 300)
    }

    func testWithoutAVhostSourcesUseTheDefaults() {
        let sources = SourceManager()
        let s = sources.fetchOrCreate(StreamKey(vhost: "v", app: "a", stream: "s"), now: 0)
        XCTAssertTrue(s.gopCacheEnabled)
        XCTAssertEqual(s.gopCacheMaxFrames, PlayConfig().gopCacheMaxFrames)
    }
}
