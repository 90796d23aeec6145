// swift-tools-version:6.0
// SwiftSRS: a cloud-native live streaming server, SRS-compatible, nginx-style master/worker.
import PackageDescription

let package = Package(
    name: "SwiftSRS",
    products: [
        .executable(name: "srs", targets: ["srs"]),
        .executable(name: "srs-bench", targets: ["srs-bench"]),
    ],
    targets: [
        // Syscalls Glibc does not export to Swift (epoll, signalfd, eventfd, timerfd, accept4, ...).
        .target(name: "CSystem"),
        // Pure codecs: bytes, AMF0, FLV, H.264/AAC headers, MPEG-TS, M3U8, SHA-256. No I/O.
        .target(name: "Kernel"),
        // Pure protocol stacks: RTMP handshake/chunks/commands, HTTP/1.1, JSON. No I/O.
        .target(name: "Protocol", dependencies: ["Kernel"]),
        // Thin syscall wrappers: sockets, the epoll event loop, timers, signals, processes.
        .target(name: "System", dependencies: ["CSystem", "Kernel"]),
        // The media server: config, connections, live sources, HTTP-FLV, HLS, API.
        .target(name: "App", dependencies: ["Kernel", "Protocol", "System"]),
        // The master process: spawns and supervises workers.
        .target(name: "Master", dependencies: ["App", "Protocol", "System"]),
        .executableTarget(name: "srs", dependencies: ["App", "Master", "System"]),
        .executableTarget(name: "srs-bench", dependencies: ["Kernel", "Protocol", "System"]),

        .testTarget(name: "KernelTests", dependencies: ["Kernel"]),
        .testTarget(name: "ProtocolTests", dependencies: ["Protocol", "Kernel"]),
        .testTarget(name: "SystemTests", dependencies: ["System"]),
        .testTarget(name: "AppTests", dependencies: ["App"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Kernel", "Protocol"]),
    ],
    swiftLanguageModes: [.v6]
)
