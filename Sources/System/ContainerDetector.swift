/// Tells whether we run in a container (Docker, Podman, containerd, Kubernetes), so `daemon on`
/// can turn itself off (`disable_daemon_for_docker`) and reload can follow ConfigMaps.
///
/// SRS only greps `/docker` in /proc/1/cgroup, which misses cgroup v2 (`0::/`) and containerd.
/// This checks, in order: the env var Kubernetes sets in every pod, the marker files Docker and
/// Podman create, then /proc/1/cgroup (any runtime name, or a cgroup v2 namespace root `0::/`).
public struct ContainerDetector: Sendable {
    /// Reads a file's text, nil if absent (injected for tests).
    public var readFile: @Sendable (String) -> String?
    /// Whether a path exists (injected for tests).
    public var exists: @Sendable (String) -> Bool
    public var environment: [String: String]

    public init(readFile: @escaping @Sendable (String) -> String?, exists: @escaping @Sendable (String) -> Bool,
                environment: [String: String]) {
        self.readFile = readFile
        self.exists = exists
        self.environment = environment
    }

    /// The real machine.
    public static func system(environment: [String: String]) -> ContainerDetector {
        ContainerDetector(readFile: { try? FileSystem.readText($0) }, exists: { FileSystem.exists($0) }, environment: environment)
    }

    /// Why we think we are in a container, or nil.
    public func detect() -> String? {
        if let v = environment["KUBERNETES_SERVICE_HOST"], !v.isEmpty { return "KUBERNETES_SERVICE_HOST is set" }
        if exists("/.dockerenv") { return "/.dockerenv exists" }
        if exists("/run/.containerenv") { return "/run/.containerenv exists" }
        if let v = environment["container"], !v.isEmpty { return "container=\(v) (systemd-nspawn/podman)" }
        guard let cgroup = readFile("/proc/1/cgroup") else { return nil }
        for marker in ["docker", "kubepods", "containerd", "libpod", "lxc", "crio"] where cgroup.contains(marker) {
            return "/proc/1/cgroup mentions \(marker)"
        }
        // cgroup v2 with a cgroup namespace: pid 1 sees itself at the root. On a host, pid 1 (systemd)
        // is in /init.scope.
        let lines = cgroup.split(separator: "\n").map { $0.trimmingCharacters(in: " \t\r") }
        if lines == ["0::/"] { return "/proc/1/cgroup is a cgroup v2 namespace root" }
        return nil
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}
