import Foundation
import XCTest
@testable import Core
import System

final class ServerConfigTests: XCTestCase {
    func load(_ text: String, env: [String: String] = [:]) throws -> ConfigLoadResult {
        try ConfigLoader.parse(text, file: "t.conf", environment: env)
    }

    func error(_ text: String, env: [String: String] = [:]) -> String {
        do {
            _ = try load(text, env: env)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testDefaultsMatchSRS() throws {
        let c = try load("listen 1935; vhost __defaultVhost__ {}").config
        XCTAssertEqual(c.listen, [ListenAddress(host: "0.0.0.0", port: 1935)])
        XCTAssertEqual(c.pidFile, "./objs/srs.pid")
        XCTAssertEqual(c.maxConnections, 1000)
        XCTAssertTrue(c.daemon)
        XCTAssertTrue(c.disableDaemonForDocker)
        XCTAssertFalse(c.inotifyAutoReload)
        XCTAssertTrue(c.autoReloadForDocker)
        XCTAssertEqual(c.graceStartWaitMs, 2300)
        XCTAssertEqual(c.graceFinalWaitMs, 3200)
        XCTAssertNil(c.graceMaxWaitMs)
        XCTAssertFalse(c.forceGraceQuit)
        XCTAssertEqual(c.logTank, .file)
        XCTAssertEqual(c.logLevel, .trace)
        XCTAssertEqual(c.logFile, "./objs/srs.log")
        XCTAssertEqual(c.chunkSize, 60000)
        XCTAssertEqual(c.httpAPI.listen.port, 1985)
        XCTAssertFalse(c.httpAPI.enabled)
        XCTAssertEqual(c.httpServer.listen.port, 8080)
        XCTAssertEqual(c.httpServer.dir, "./objs/nginx/html")
        let v = try XCTUnwrap(c.vhost("any.host"))
        XCTAssertEqual(v.name, "__defaultVhost__")
        XCTAssertEqual(v.hls.fragment, 10)
        XCTAssertEqual(v.hls.window, 60)
        XCTAssertEqual(v.hls.dispose, 120)
        XCTAssertEqual(v.hls.path, "./objs/nginx/html")
        XCTAssertEqual(v.hls.m3u8File, "[app]/[stream].m3u8")
        XCTAssertEqual(v.hls.tsFile, "[app]/[stream]-[seq].ts")
        XCTAssertTrue(v.hls.cleanup)
        XCTAssertTrue(v.hls.waitKeyframe)
        XCTAssertFalse(v.hls.enabled)
        XCTAssertEqual(v.httpRemux.mount, "[vhost]/[app]/[stream].flv")
        XCTAssertTrue(v.play.gopCache)
        XCTAssertEqual(v.play.queueLength, 30)
        XCTAssertEqual(v.publish.firstPacketTimeoutMs, 20000)
        XCTAssertEqual(v.publish.normalTimeoutMs, 5000)
        XCTAssertEqual(v.cluster.mode, .local)
    }

    func testSeedConfigs() throws {
        // The edge config of the K8s guide (seed 002), with graceful-quit settings.
        let c = try load("""
            listen              1935;
            max_connections     1000;
            daemon              off;
            grace_start_wait    700;
            grace_final_wait    800;
            force_grace_quit    on;
            http_api { enabled on; listen 1985; }
            http_server { enabled on; listen 8080; }
            vhost __defaultVhost__ {
                cluster {
                    mode            remote;
                    origin          srs-origin-0.socs srs-origin-1.socs srs-origin-2.socs;
                }
                http_remux { enabled on; }
            }
            """).config
        XCTAssertFalse(c.daemon)
        XCTAssertEqual(c.graceStartWaitMs, 700)
        XCTAssertEqual(c.graceFinalWaitMs, 800)
        XCTAssertTrue(c.forceGraceQuit)
        let v = try XCTUnwrap(c.vhost("x"))
        XCTAssertTrue(v.cluster.isEdge)
        XCTAssertEqual(v.cluster.origins, [HostPort(host: "srs-origin-0.socs", port: 1935),
                                           HostPort(host: "srs-origin-1.socs", port: 1935),
                                           HostPort(host: "srs-origin-2.socs", port: 1935)])
        // The origin cluster config (StatefulSet + headless Service).
        let o = try load("""
            listen 1935;
            vhost __defaultVhost__ {
                cluster {
                    origin_cluster  on;
                    coworkers       srs-origin-0.socs:1985 srs-origin-1.socs:1985;
                }
            }
            """).config
        XCTAssertTrue(try XCTUnwrap(o.vhost("x")).cluster.originCluster)
        XCTAssertEqual(try XCTUnwrap(o.vhost("x")).cluster.coworkers.map(\.description),
                       ["srs-origin-0.socs:1985", "srs-origin-1.socs:1985"])
    }

    func testBooleansFollowSRSPreference() throws {
        // Default-on is off only for "off"; default-off is on only for "on".
        let r = try load("listen 1; daemon yes; force_grace_quit yes;")
        XCTAssertTrue(r.config.daemon)
        XCTAssertFalse(r.config.forceGraceQuit)
        XCTAssertEqual(r.warnings.count, 2)
        XCTAssertTrue(r.warnings[0].hasPrefix("t.conf:1: daemon expects on or off"))
    }

    func testMwMsgsOverSRSsMaximumIsResetWithAWarning() throws {
        let r = try load("listen 1; vhost v { play { mw_msgs 500; mw_latency 100; } }")
        XCTAssertEqual(try XCTUnwrap(r.config.vhost("v")).play.mwMsgs, 128)
        XCTAssertEqual(try XCTUnwrap(r.config.vhost("v")).play.mwLatencyMs, 100)
        XCTAssertEqual(r.warnings.count, 1)
        XCTAssertTrue(r.warnings[0].contains("reset mw_msgs 500 to max 128"), r.warnings[0])
    }

    func testTCPNoDelayAndMinLatencyAsSRS() throws {
        let d = try XCTUnwrap(try load("listen 1; vhost v { }").config.vhost("v"))
        XCTAssertFalse(d.play.tcpNoDelay, "SRS's default: tcp_nodelay off")
        XCTAssertEqual(d.play.mwMsgs, 8)
        let on = try XCTUnwrap(try load("listen 1; vhost v { tcp_nodelay on; min_latency on; }").config.vhost("v"))
        XCTAssertTrue(on.play.tcpNoDelay)
        XCTAssertEqual(on.play.mwMsgs, 0, "min_latency on: mw_msgs defaults to 0 (SRS_PERF_MW_MIN_MSGS_REALTIME)")
        let explicit = try XCTUnwrap(try load("listen 1; vhost v { min_latency on; play { mw_msgs 4; } }").config.vhost("v"))
        XCTAssertEqual(explicit.play.mwMsgs, 4, "an explicit mw_msgs wins")
        let env = try XCTUnwrap(try load("listen 1; vhost __defaultVhost__ { }",
                                         env: ["SRS_VHOST_TCP_NODELAY": "on", "SRS_VHOST_MIN_LATENCY": "on"]).config.vhost("__defaultVhost__"))
        XCTAssertTrue(env.play.tcpNoDelay)
        XCTAssertEqual(env.play.mwMsgs, 0)
    }

    func testListenForms() throws {
        let c = try load("listen 1935 127.0.0.1:1936 [::1]:1937 [::]:1938; http_api { enabled on; listen 127.0.0.1:8080; }").config
        XCTAssertEqual(c.listen.map(\.description), ["0.0.0.0:1935", "127.0.0.1:1936", "[::1]:1937", "[::]:1938"])
        XCTAssertEqual(c.httpAPI.listen, ListenAddress(host: "127.0.0.1", port: 8080))
    }

    func testErrorsSayFileLineAndWhat() {
        XCTAssertEqual(error("daemon off;"), "t.conf: directive \"listen\" is required (e.g. listen 1935;)")
        XCTAssertEqual(error("listen 1935;\nlisten_x 1;\nmax_connections abc;"),
                       "t.conf:3: max_connections expects an integer, got \"abc\"")
        XCTAssertEqual(error("listen 70000;"), "t.conf:1: listen: invalid address \"70000\"")
        XCTAssertEqual(error("listen 1;\nsrs_log_level loud;"),
                       "t.conf:2: srs_log_level expects one of error|info|trace|verbose|warn, got \"loud\"")
        XCTAssertEqual(error("listen 1;\nvhost a {}\nvhost a {}"), "t.conf:3: duplicate vhost \"a\" (first at t.conf:2)")
        XCTAssertEqual(error("listen 1;\nvhost {}"), "t.conf:2: vhost needs exactly one name")
        XCTAssertEqual(error("listen 1;\nvhost e {\n cluster {\n  mode remote;\n }\n}"),
                       "t.conf:3: vhost e: cluster mode remote needs at least one origin")
        XCTAssertEqual(error("listen 1;\nvhost a { hls { hls_fragment 0; } }"), "t.conf:2: hls_fragment 0 is out of range 0.1..3600.0")
        XCTAssertEqual(error("listen 1;\nvhost a { hls { hls_ts_file ../../etc/x.ts; } }"),
                       "t.conf:2: hls_ts_file \"../../etc/x.ts\" must be a relative path inside hls_path")
        XCTAssertEqual(error("listen 1;\nvhost a { cluster { mode edge; } }"),
                       "t.conf:2: mode expects one of local|remote, got \"edge\"")
    }

    func testUnknownAndUnsupportedDirectivesWarn() throws {
        let r = try load("""
            listen 1935;
            lisen 1936;
            rtc_server { enabled on; listen 8000; }
            vhost v {
                hls { hls_fragmnet 2; }
            }
            """)
        XCTAssertEqual(r.warnings, [
            "t.conf:2: unknown directive \"lisen\", ignored",
            "t.conf:3: \"rtc_server\" is not supported by SwiftSRS, ignored",
            "t.conf:5: unknown directive \"hls_fragmnet\" in vhost.hls, ignored",
        ])
    }

    func testEnvironmentOverridesAsSRS() throws {
        let c = try load("""
            listen 1935;
            grace_start_wait 2300;
            http_api { enabled off; listen 1985; }
            vhost __defaultVhost__ { hls { enabled off; hls_fragment 10; } }
            vhost other { hls { enabled off; } }
            """, env: ["SRS_LISTEN": "19350 19351", "SRS_GRACE_START_WAIT": "500", "SRS_FORCE_GRACE_QUIT": "on",
                       "SRS_HTTP_API_ENABLED": "on", "SRS_HTTP_API_LISTEN": "19850", "SRS_VHOST_HLS_ENABLED": "on",
                       "SRS_VHOST_HLS_HLS_FRAGMENT": "2", "SRS_SRS_LOG_TANK": "console", "SRS_IN_DOCKER": "on"]).config
        XCTAssertEqual(c.listen.map(\.port), [19350, 19351])
        XCTAssertEqual(c.graceStartWaitMs, 500)
        XCTAssertTrue(c.forceGraceQuit)
        XCTAssertTrue(c.httpAPI.enabled)
        XCTAssertEqual(c.httpAPI.listen.port, 19850)
        XCTAssertEqual(c.logTank, .console)
        XCTAssertTrue(c.inDocker)
        XCTAssertTrue(try XCTUnwrap(c.vhost("__defaultVhost__")).hls.enabled)
        XCTAssertEqual(try XCTUnwrap(c.vhost("__defaultVhost__")).hls.fragment, 2)
        XCTAssertFalse(try XCTUnwrap(c.vhost("other")).hls.enabled, "SRS_VHOST_* applies to the default vhost only")
        XCTAssertEqual(error("listen 1;", env: ["SRS_MAX_CONNECTIONS": "many"]),
                       "env SRS_MAX_CONNECTIONS: max_connections expects an integer, got \"many\"")
    }

    func testEnvironmentOnlyConfig() throws {
        let c = try ConfigLoader.fromEnvironment(["SRS_HTTP_SERVER_ENABLED": "on"]).config
        XCTAssertEqual(c.listen.map(\.port), [1935])
        XCTAssertFalse(c.daemon)
        XCTAssertEqual(c.logTank, .console)
        XCTAssertTrue(c.httpServer.enabled)
        XCTAssertNotNil(c.vhost("__defaultVhost__"))
    }

    func testVhostLookup() throws {
        let c = try load("listen 1; vhost a.com {} vhost off.com { enabled off; } vhost __defaultVhost__ {}").config
        XCTAssertEqual(c.vhost("a.com")?.name, "a.com")
        XCTAssertEqual(c.vhost("b.com")?.name, "__defaultVhost__")
        XCTAssertNil(c.vhost("off.com"), "a disabled vhost rejects its clients")
        let noDefault = try load("listen 1; vhost a.com {}").config
        XCTAssertNil(noDefault.vhost("b.com"))
    }

    func testClientTimeouts() throws {
        let d = try load("listen 1;").config.clientTimeouts
        XCTAssertEqual(d, ClientTimeouts())
        XCTAssertEqual(d.httpHeaderMs, 10_000)
        XCTAssertEqual(d.httpBodyMs, 30_000)
        XCTAssertEqual(d.rtmpHandshakeMs, 10_000)
        XCTAssertEqual(d.rtmpCommandMs, 20_000)
        let c = try load("listen 1; client_header_timeout 5000; client_body_timeout 15s; rtmp_handshake_timeout 2500ms; rtmp_command_timeout 1m;",
                         env: ["SRS_RTMP_HANDSHAKE_TIMEOUT": "3s"]).config.clientTimeouts
        XCTAssertEqual(c.httpHeaderMs, 5000)
        XCTAssertEqual(c.httpBodyMs, 15_000)
        XCTAssertEqual(c.rtmpHandshakeMs, 3000, "env overrides as SRS")
        XCTAssertEqual(c.rtmpCommandMs, 60_000)
        // nginx's bare seconds would be 60 ms here: refused, not taken.
        XCTAssertEqual(error("listen 1;\nclient_header_timeout 60;"), "t.conf:2: client_header_timeout 60 is out of range 1000..86400000 ms")
        XCTAssertEqual(error("listen 1;\nrtmp_command_timeout soon;"),
                       "t.conf:2: rtmp_command_timeout expects a duration (milliseconds, or with ms, s or m), got \"soon\"")
        XCTAssertEqual(error("listen 1;\nclient_body_timeout 2d;"),
                       "t.conf:2: client_body_timeout expects a duration (milliseconds, or with ms, s or m), got \"2d\"")
    }

    func testWorkerProcesses() throws {
        XCTAssertEqual(try load("listen 1;").config.workerProcesses, .count(1))
        XCTAssertEqual(try load("listen 1; worker_processes 4;").config.workerProcesses, .count(4))
        XCTAssertEqual(try load("listen 1; worker_processes auto;").config.workerProcesses, .auto)
        XCTAssertEqual(error("listen 1;\nworker_processes 0;"), "t.conf:2: worker_processes 0 is out of range 1..256")
    }

    func testShippedConfigsAreValid() throws {
        // Every config in conf/ must load without errors or warnings (run from the package root).
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("conf")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".conf") }
        XCTAssertTrue(files.contains("srs.conf"))
        for f in files {
            let r = try ConfigLoader.load(path: dir.appendingPathComponent(f).path, environment: [:])
            XCTAssertEqual(r.warnings, [], f)
        }
    }
}
