/// Reads typed values from one block of the config, applying SRS's environment overrides: the
/// dotted path of a directive, upper-cased with `_` and prefixed `SRS_`, wins over the file
/// (`http_api.listen` → `SRS_HTTP_API_LISTEN`, `vhost.hls.hls_fragment` on the default vhost →
/// `SRS_VHOST_HLS_HLS_FRAGMENT`). Errors name the file and line, or the variable.
struct ConfigReader {
    /// The block read from; nil when the config does not have it (defaults and env still apply).
    let block: ConfigDirective?
    /// The directive path used for environment names; nil where env overrides do not apply.
    let envPath: [String]?
    let environment: [String: String]
    let warnings: ConfigWarnings

    /// A value as written: its arguments and where they came from.
    struct Raw {
        var args: [String]
        var location: String
    }

    func child(_ name: String) -> ConfigReader {
        ConfigReader(block: block?.child(name), envPath: envPath.map { $0 + [name] }, environment: environment, warnings: warnings)
    }

    /// `SRS_HTTP_API_LISTEN` for `listen` under `http_api`.
    func environmentName(_ name: String) -> String? {
        guard let path = envPath else { return nil }
        return "SRS_" + (path + [name]).joined(separator: "_").uppercased()
    }

    /// The arguments of `name`: from the environment if set there, else from the config.
    func raw(_ name: String) -> Raw? {
        if let key = environmentName(name), let v = environment[key], !v.isEmpty {
            return Raw(args: v.split(separator: " ").map(String.init), location: "env \(key)")
        }
        guard let d = block?.child(name) else { return nil }
        return Raw(args: d.args, location: d.location)
    }

    func string(_ name: String, _ fallback: String) throws(ConfigError) -> String {
        try optionalString(name) ?? fallback
    }

    func optionalString(_ name: String) throws(ConfigError) -> String? {
        guard let r = raw(name) else { return nil }
        guard let v = r.args.first else { throw ConfigError(r.location, "\(name) needs a value") }
        return v
    }

    /// Every argument of `name` (`listen 1935 1936;`, `origin a b;`), or nil when absent.
    func strings(_ name: String) -> [String]? { raw(name)?.args }

    /// SRS's booleans: a default-off switch is on only for the literal `on`; a default-on switch
    /// is off only for the literal `off`. Anything else is warned about.
    func bool(_ name: String, _ fallback: Bool) throws(ConfigError) -> Bool {
        guard let r = raw(name) else { return fallback }
        guard let v = r.args.first else { throw ConfigError(r.location, "\(name) needs on or off") }
        if v != "on" && v != "off" {
            warnings.add("\(r.location): \(name) expects on or off, got \"\(v)\"; taken as \(fallback ? "on" : "off")")
        }
        return fallback ? v != "off" : v == "on"
    }

    func int(_ name: String, _ fallback: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let r = raw(name) else { return fallback }
        guard let v = r.args.first, let n = Int(v) else {
            throw ConfigError(r.location, "\(name) expects an integer, got \"\(r.args.first ?? "")\"")
        }
        guard range.contains(n) else {
            throw ConfigError(r.location, "\(name) \(n) is out of range \(range.lowerBound)..\(range.upperBound)")
        }
        return n
    }

    /// A duration in milliseconds: a bare number is milliseconds, as SRS's timeouts; nginx's
    /// `ms`, `s` and `m` suffixes are accepted too (`10s`).
    func durationMs(_ name: String, _ fallback: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let r = raw(name) else { return fallback }
        let v = r.args.first ?? ""
        let units: [(suffix: String, ms: Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("", 1)]
        guard let unit = units.first(where: { v.hasSuffix($0.suffix) }),
              let n = Int(v.dropLast(unit.suffix.count)), n >= 0, n <= Int.max / unit.ms else {
            throw ConfigError(r.location, "\(name) expects a duration (milliseconds, or with ms, s or m), got \"\(v)\"")
        }
        let ms = n * unit.ms
        guard range.contains(ms) else {
            throw ConfigError(r.location, "\(name) \(v) is out of range \(range.lowerBound)..\(range.upperBound) ms")
        }
        return ms
    }

    func double(_ name: String, _ fallback: Double, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let r = raw(name) else { return fallback }
        guard let v = r.args.first, let n = Double(v), n.isFinite else {
            throw ConfigError(r.location, "\(name) expects a number, got \"\(r.args.first ?? "")\"")
        }
        guard range.contains(n) else {
            throw ConfigError(r.location, "\(name) \(v) is out of range \(range.lowerBound)..\(range.upperBound)")
        }
        return n
    }

    /// One of a fixed set of words.
    func choice<T>(_ name: String, _ fallback: T, _ options: [String: T]) throws(ConfigError) -> T {
        guard let r = raw(name) else { return fallback }
        guard let v = r.args.first, let t = options[v] else {
            throw ConfigError(r.location, "\(name) expects one of \(options.keys.sorted().joined(separator: "|")), got \"\(r.args.first ?? "")\"")
        }
        return t
    }

    /// Peer addresses (`origin a:1935 b;`), each validated.
    func hostPorts(_ name: String, defaultPort: Int) throws(ConfigError) -> [HostPort] {
        guard let r = raw(name) else { return [] }
        var out: [HostPort] = []
        for a in r.args {
            guard let hp = HostPort(parsing: a, defaultPort: defaultPort) else {
                throw ConfigError(r.location, "\(name): invalid address \"\(a)\"")
            }
            out.append(hp)
        }
        return out
    }
}

/// Collects the config's warnings (unknown directives, odd values); they are logged, not fatal.
final class ConfigWarnings {
    private(set) var list: [String] = []
    func add(_ w: String) { list.append(w) }
}
