import Foundation

/// A scrape parsed for assertions: `# HELP`/`# TYPE` per family, and samples by name with
/// their labels (a test-side reader, independent of the server's writer).
struct MetricsText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var help: [String: String] = [:]
    var type: [String: String] = [:]
    var samples: [Sample] = []
    /// Label names in the order of their first sample, by family.
    var labelOrder: [String: [String]] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                help[String(name)] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                if parts.count == 2 { type[String(parts[0])] = String(parts[1]) }
            } else if !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " ") else { continue }
                let series = line[..<space]
                let value = Double(line[line.index(after: space)...]) ?? .nan
                var name = String(series)
                var labels: [String: String] = [:]
                var order: [String] = []
                if let open = series.firstIndex(of: "{") {
                    name = String(series[..<open])
                    // Labels: a="v",b="w" (values may hold escaped quotes).
                    var rest = series[series.index(after: open)...].dropLast()
                    while let eq = rest.firstIndex(of: "=") {
                        let key = String(rest[..<eq])
                        var i = rest.index(eq, offsetBy: 2)
                        var v = ""
                        while i < rest.endIndex, rest[i] != "\"" {
                            if rest[i] == "\\" { i = rest.index(after: i) }
                            if i < rest.endIndex { v.append(rest[i]) }
                            i = rest.index(after: i)
                        }
                        labels[key] = v
                        order.append(key)
                        rest = rest[min(rest.endIndex, rest.index(after: i))...]
                        if rest.first == "," { rest = rest.dropFirst() }
                    }
                }
                if labelOrder[name] == nil { labelOrder[name] = order }
                samples.append(Sample(name: name, labels: labels, value: value))
            }
        }
    }

    /// The samples of `name` whose labels include `labels`.
    func all(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
    }

    /// The value of the one sample of `name` with `labels` (nil when none).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? { all(name, labels).first?.value }

    /// The sum of `name`'s samples with `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double { all(name, labels).reduce(0) { $0 + $1.value } }
}

/// JSON shapes compared with SRS's: every member SRS has, with the same kind of value
/// (number/bool, string, object, array, null), recursively for objects and the first element
/// of arrays. Returns the differences, empty when ours has SRS's shape.
enum JSONShape {
    static func kind(_ v: Any) -> String {
        switch v {
        case is NSNull: return "null"
        case is String: return "string"
        case is [String: Any]: return "object"
        case is [Any]: return "array"
        case is NSNumber: return "number"
        default: return "\(type(of: v))"
        }
    }

    static func differences(srs: Any, ours: Any, path: String = "") -> [String] {
        guard kind(srs) == kind(ours) else { return ["\(path): SRS has \(kind(srs)), ours \(kind(ours))"] }
        if let s = srs as? [String: Any], let o = ours as? [String: Any] {
            return s.keys.sorted().flatMap { k -> [String] in
                guard let ov = o[k] else { return ["\(path).\(k): missing"] }
                return differences(srs: s[k]!, ours: ov, path: "\(path).\(k)")
            }
        }
        if let s = srs as? [Any], let o = ours as? [Any], let s0 = s.first, let o0 = o.first {
            return differences(srs: s0, ours: o0, path: "\(path)[0]")
        }
        return []
    }

    static func parse(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }
}
