import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace joined to this one by a veth pair, with random loss on the link: the
/// place to run an SRT server and push to it through loss. Loss by `tc qdisc ... netem loss`
/// on both ends when the kernel has netem, else by an nftables rule in the namespace that drops
/// the same share of packets each way (`numgen random mod 100 < N drop`; some kernels, this
/// machine's among them, are built without netem). Needs root; `destroy()` removes it all
/// (deleting the namespace deletes the pair).
final class LossyLink {
    let namespace: String
    let hostInterface: String
    let hostAddress: String
    let namespaceAddress: String
    /// "netem" or "nftables".
    private(set) var method = ""
    private var created = false

    init(lossPercent: Int) throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for ip netns") }
        guard ChildProcess.which("ip") != nil else { throw XCTSkip("iproute2 (ip) not installed") }
        let id = Int(getpid()) % 100_000
        namespace = "swiftsrs-srt-\(id)"
        hostInterface = "ssrt\(id)h"
        let nsInterface = "ssrt\(id)n"
        let subnet = 10 + id % 240
        hostAddress = "10.213.\(subnet).1"
        namespaceAddress = "10.213.\(subnet).2"
        // A namespace left by a killed run of this pid: start clean.
        _ = try? Self.ip(["netns", "del", namespace])
        guard (try? Self.ip(["netns", "add", namespace])) != nil else { throw XCTSkip("ip netns add fails here") }
        created = true
        do {
            try Self.ip(["link", "add", hostInterface, "type", "veth", "peer", "name", nsInterface])
            try Self.ip(["link", "set", nsInterface, "netns", namespace])
            try Self.ip(["addr", "add", "\(hostAddress)/24", "dev", hostInterface])
            try Self.ip(["link", "set", hostInterface, "up"])
            try inNamespace(["ip", "addr", "add", "\(namespaceAddress)/24", "dev", nsInterface])
            try inNamespace(["ip", "link", "set", nsInterface, "up"])
            try inNamespace(["ip", "link", "set", "lo", "up"])
            if (try? Self.run("tc", ["qdisc", "add", "dev", hostInterface, "root", "netem", "loss", "\(lossPercent)%"])) != nil {
                try inNamespace(["tc", "qdisc", "add", "dev", nsInterface, "root", "netem", "loss", "\(lossPercent)%"])
                method = "netem"
            } else if ChildProcess.which("nft") != nil {
                try inNamespace(["nft", "add table inet swiftsrs_loss"])
                for (chain, hook) in [("in", "input"), ("out", "output")] {
                    try inNamespace(["nft", "add chain inet swiftsrs_loss \(chain) { type filter hook \(hook) priority 0; policy accept; }"])
                    try inNamespace(["nft", "add rule inet swiftsrs_loss \(chain) numgen random mod 100 < \(lossPercent) drop"])
                }
                method = "nftables"
            } else {
                throw XCTSkip("no loss: the kernel has no netem and nft is not installed")
            }
        } catch {
            destroy()
            throw error
        }
    }

    deinit { destroy() }

    /// Runs a command in the namespace; throws with its output when it fails.
    @discardableResult
    func inNamespace(_ command: [String]) throws -> String {
        try Self.ip(["netns", "exec", namespace] + command)
    }

    /// Removes the namespace (and with it the veth pair). Safe to call twice.
    func destroy() {
        guard created else { return }
        created = false
        _ = try? Self.ip(["netns", "del", namespace])
        _ = try? Self.ip(["link", "del", hostInterface])  // normally gone with the namespace
    }

    /// Whether the namespace or the host end of the pair still exists.
    var leftovers: Bool {
        let namespaces = (try? Self.ip(["netns", "list"])) ?? ""
        return namespaces.contains(namespace) || (try? Self.ip(["link", "show", hostInterface])) != nil
    }

    @discardableResult
    static func ip(_ args: [String]) throws -> String { try run("ip", args) }

    @discardableResult
    static func run(_ tool: String, _ args: [String]) throws -> String {
        let (status, output) = try ChildProcess.run(tool, args, timeout: 10)
        guard status == 0 else { throw LossyLinkError("\(tool) \(args.joined(separator: " ")): \(output)") }
        return output
    }
}

struct LossyLinkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
