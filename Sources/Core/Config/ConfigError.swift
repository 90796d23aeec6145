/// A config that cannot be used: says where (`file:line`, or the environment variable) and what
/// is wrong, as `srs -t` prints it.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var location: String
    public var message: String

    public init(_ location: String, _ message: String) {
        self.location = location
        self.message = message
    }

    public init(_ d: ConfigDirective, _ message: String) {
        self.init(d.location, message)
    }

    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
