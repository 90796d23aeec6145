import Glibc

/// Facts about this process without Foundation.
public enum ProcessEnv {
    /// The environment as a dictionary.
    public static func environment() -> [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let s = String(cString: entry)
            if let eq = s.firstIndex(of: "=") {
                out[String(s[..<eq])] = String(s[s.index(after: eq)...])
            }
            p += 1
        }
        return out
    }

    /// The command line.
    public static var arguments: [String] { CommandLine.arguments }

    /// The current directory.
    public static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return "." }
        return buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Changes the current directory (`work_dir`).
    public static func changeDirectory(_ path: String) throws {
        if chdir(path) != 0 { throw SystemError("chdir", context: path) }
    }

    /// Writes to stderr.
    public static func printError(_ s: String) {
        let bytes = Array((s + "\n").utf8)
        bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}
