/// The server's identity, as SRS reports its own (`srs_version`, `server_version`, API versions).
public enum Version {
    /// The release, kept as one C string in the binary: packaging (and the upgrade tests, which
    /// need a second "release" without a second build) can stamp another one of the same length.
    static let stamp: StaticString = "SwiftSRS-release:1.0.0:"
    /// `1.0.0`.
    public static let string: String = {
        let s = stamp.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        let parts = s.split(separator: ":")
        return parts.count >= 2 ? String(parts[1]) : "0.0.0"
    }()
    private static let numbers: [Int] = string.split(separator: ".").map { Int($0) ?? 0 } + [0, 0, 0]
    public static var major: Int { numbers[0] }
    public static var minor: Int { numbers[1] }
    public static var revision: Int { numbers[2] }
    /// `server` in metadata and API answers.
    public static let signature = "SwiftSRS"
    public static var server: String { "\(signature)/\(string)" }
}
