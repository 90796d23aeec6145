import System

/// A loaded config and its warnings (to log once the log is open).
public struct ConfigLoadResult: Sendable {
    public var config: ServerConfig
    public var warnings: [String]
    /// The parsed directives, includes spliced in (`ConfigDirective.render` turns them back into text).
    public var directives: [ConfigDirective]
}

/// Loads the config: from a file (`-c`), or from the environment only (`-e`). The same code
/// serves `srs -t`, start-up and reload, so what `-t` accepts is what runs.
public enum ConfigLoader {
    /// Reads `path` (and its includes) from disk, applies `SRS_*` environment overrides, validates.
    public static func load(path: String, environment: [String: String]) throws(ConfigError) -> ConfigLoadResult {
        let parser = ConfigParser(readFile: readFile)
        let directives = try parser.parseFile(path)
        return try build(directives, file: path, environment: environment)
    }

    /// Parses config text (tests; reload of an in-memory config).
    public static func parse(_ text: String, file: String = "srs.conf", environment: [String: String] = [:],
                             readFile: @escaping ConfigParser.ReadFile = { _ in nil }) throws(ConfigError) -> ConfigLoadResult {
        let directives = try ConfigParser(readFile: readFile).parse(text, file: file)
        return try build(directives, file: file, environment: environment)
    }

    /// `srs -e`: no file; `SRS_*` variables on top of a console-logging, foreground default
    /// vhost listening on 1935 (as SRS; `SRS_LISTEN` overrides the port).
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigError) -> ConfigLoadResult {
        let base = [
            ConfigDirective(name: "listen", args: ["1935"], file: "env"),
            ConfigDirective(name: "daemon", args: ["off"], file: "env"),
            ConfigDirective(name: "srs_log_tank", args: ["console"], file: "env"),
            ConfigDirective(name: "vhost", args: [VhostConfig.defaultName], isBlock: true, file: "env"),
        ]
        return try build(base, file: "env", environment: environment)
    }

    private static func build(_ directives: [ConfigDirective], file: String, environment: [String: String]) throws(ConfigError) -> ConfigLoadResult {
        let warnings = ConfigWarnings()
        let config = try ServerConfig(directives: directives, file: file, environment: environment, warnings: warnings)
        return ConfigLoadResult(config: config, warnings: warnings.list, directives: directives)
    }

    private static func readFile(_ path: String) throws -> String? {
        guard FileSystem.exists(path) else { return nil }
        if let info = FileSystem.info(path), info.isDirectory {
            throw ConfigError("", "\(path) is a directory")
        }
        return try FileSystem.readText(path)
    }
}
