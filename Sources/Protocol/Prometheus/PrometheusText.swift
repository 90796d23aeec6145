/// Metrics in Prometheus's text exposition format (version 0.0.4, what SRS's `exporter` serves):
/// one block per metric family, `# HELP` and `# TYPE` first, then its samples,
/// `name{label="value",...} value`, each line ended by `\n`.
///
/// Deterministic: families come out in the order they were first added, the samples of a family
/// sorted by their labels, so counters gathered from workers in any order render the same text.
/// Never traps on what it is given: label values (stream names chosen by clients) are escaped,
/// invalid characters in metric and label names become `_`, and a second sample with the same
/// labels replaces the first (the format allows one).
public struct PrometheusText: Sendable {
    /// The `Content-Type` of the text.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public enum Kind: String, Sendable {
        case counter, gauge, untyped
    }

    private struct Family: Sendable {
        let help: String
        let kind: Kind
        /// Rendered labels (`{a="b"}` or "") → value.
        var samples: [String: Double] = [:]
    }

    private var order: [String] = []
    private var families: [String: Family] = [:]

    public init() {}

    /// Adds a sample of family `name`; the family's help and kind are those of its first sample.
    /// Labels keep the order given.
    public mutating func add(_ name: String, _ kind: Kind, help: String, labels: [(String, String)] = [], _ value: Double) {
        let name = Self.sanitized(name, allowColon: true)
        if families[name] == nil {
            order.append(name)
            families[name] = Family(help: help, kind: kind)
        }
        families[name]?.samples[Self.render(labels)] = value
    }

    /// A counter: by convention its name ends in `_total`.
    public mutating func counter(_ name: String, help: String, labels: [(String, String)] = [], _ value: Double) {
        add(name, .counter, help: help, labels: labels, value)
    }

    public mutating func gauge(_ name: String, help: String, labels: [(String, String)] = [], _ value: Double) {
        add(name, .gauge, help: help, labels: labels, value)
    }

    /// True when no sample was added.
    public var isEmpty: Bool { order.isEmpty }

    /// The exposition text.
    public func encode() -> String {
        var out = ""
        for name in order {
            guard let f = families[name] else { continue }
            out += "# HELP \(name) \(Self.escapedHelp(f.help))\n# TYPE \(name) \(f.kind.rawValue)\n"
            for labels in f.samples.keys.sorted() {
                out += "\(name)\(labels) \(Self.format(f.samples[labels] ?? 0))\n"
            }
        }
        return out
    }

    // MARK: - Escaping and formatting

    /// `{a="1",b="x\"y"}`, or "" without labels.
    static func render(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\(sanitized($0.0, allowColon: false))=\"\(escapedLabelValue($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values escape backslash, double quote and line feed.
    static func escapedLabelValue(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Help text escapes backslash and line feed.
    static func escapedHelp(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` for metric names, without `:` for label names; anything else
    /// becomes `_` (and an empty name `_`).
    static func sanitized(_ s: String, allowColon: Bool) -> String {
        var out = ""
        for (i, c) in s.unicodeScalars.enumerated() {
            let letter = (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || (allowColon && c == ":")
            let digit = c >= "0" && c <= "9"
            out += letter || (digit && i > 0) ? String(c) : "_"
        }
        return out.isEmpty ? "_" : out
    }

    /// Integers without a fraction (`17460`), others as Swift's shortest form (`0.25`, `1e-07`),
    /// and the format's `NaN`, `+Inf`, `-Inf`.
    static func format(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded() && abs(v) < 9_007_199_254_740_992 { return String(Int64(v)) }
        return v.description
    }
}
