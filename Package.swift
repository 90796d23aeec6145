// swift-tools-version:6.0
// SwiftSRS: a cloud-native live streaming server, SRS-compatible, nginx-style master/worker.
import PackageDescription

/// The modules on the fan-out path (a message to thousands of players: issue 18). Release
/// builds there skip the runtime exclusivity checks (a call per access to a class's stored
/// property: ~3 % of a worker's CPU with 2000 players, measured with perf); debug builds, which
/// run the tests, keep them, so an overlapping access still traps there.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "SwiftSRS",
    products: [
        .executable(name: "srs", targets: ["srs"]),
        .executable(name: "srs-bench", targets: ["srs-bench"]),
    ],
    targets: [
        // Syscalls Glibc does not export to Swift (epoll, signalfd, eventfd, timerfd, accept4, ...).
        .target(name: "CSystem"),
        // Debian's libsrt (`apt-get install libsrt-openssl-dev`), found with pkg-config.
        .systemLibrary(name: "CSRT", pkgConfig: "srt", providers: [.apt(["libsrt-openssl-dev"])]),
        // What Swift cannot do with libsrt directly: its option setters, its listen callback and
        // the thread that turns libsrt's epoll into an eventfd the worker's loop can watch.
        .target(name: "CSRTSupport", dependencies: ["CSRT"]),
        // Pure codecs: bytes, AMF0, FLV, H.264/AAC headers, MPEG-TS, M3U8, SHA-256. No I/O.
        .target(name: "Kernel"),
        // Pure protocol stacks: RTMP handshake/chunks/commands, HTTP/1.1, JSON. No I/O.
        .target(name: "Protocol", dependencies: ["Kernel"]),
        // Thin syscall wrappers: sockets, the epoll event loop, timers, signals, processes.
        .target(name: "System", dependencies: ["CSystem", "Kernel"], swiftSettings: hotPath),
        // SRT sockets on the worker's event loop: listener, connections, options, stats.
        .target(name: "SRT", dependencies: ["CSRT", "CSRTSupport", "Kernel", "System"]),
        // What the master and its workers share (as nginx's src/core): the config (parser, schema,
        // typed settings, reload changes), the control protocol between them, listeners, version.
        .target(name: "Core", dependencies: ["Kernel", "Protocol", "System"]),
        // The worker: connections, live sources, HTTP-FLV, HLS, API, edge and origin cluster.
        .target(name: "App", dependencies: ["Core", "Kernel", "Protocol", "SRT", "System"], swiftSettings: hotPath),
        // The master process: spawns and supervises workers. Never imports App.
        .target(name: "Master", dependencies: ["Core", "Protocol", "System"]),
        // Picks the role: the master, or a worker the master started.
        .executableTarget(name: "srs", dependencies: ["App", "Core", "Master", "System"]),
        .executableTarget(name: "srs-bench", dependencies: ["Kernel", "Protocol", "System"]),
        // The SRT layer alone on a loop: measurements (docs/srt.md) and the two-process test.
        .executableTarget(name: "srt-harness", dependencies: ["CSRT", "Kernel", "Protocol", "SRT", "System"]),

        .testTarget(name: "KernelTests", dependencies: ["Kernel"]),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol", "Kernel"]),
        .testTarget(name: "SystemTests", dependencies: ["System"]),
        .testTarget(name: "SRTTests", dependencies: ["CSRT", "SRT", "Kernel", "Protocol", "System"]),
        .testTarget(name: "CoreTests", dependencies: ["Core"]),
        .testTarget(name: "AppTests", dependencies: ["App"]),
        .testTarget(name: "MasterTests", dependencies: ["Master"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Kernel", "Protocol"]),
    ],
    swiftLanguageModes: [.v6]
)
