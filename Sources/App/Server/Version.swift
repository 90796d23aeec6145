/// The server's identity, as SRS reports its own (`srs_version`, `server_version`, API versions).
public enum Version {
    public static let major = 1
    public static let minor = 0
    public static let revision = 0
    public static var string: String { "\(major).\(minor).\(revision)" }
    /// `server` in metadata and API answers.
    public static let signature = "SwiftSRS"
    public static var server: String { "\(signature)/\(string)" }
}
