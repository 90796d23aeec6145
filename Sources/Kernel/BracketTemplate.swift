/// SRS's `[name]` templates (file paths, ffmpeg command lines): each `[key]` of `values` found in
/// the template is replaced by its value, in one pass (a value is never scanned again); any other
/// `[` stays as it is.
public enum BracketTemplate {
    public static func substitute(_ template: String, _ values: [(key: String, value: String)]) -> String {
        var out = ""
        var rest = Substring(template)
        outer: while let open = rest.firstIndex(of: "[") {
            out += rest[..<open]
            rest = rest[open...]
            for (key, value) in values where rest.hasPrefix(key) {
                out += value
                rest = rest.dropFirst(key.count)
                continue outer
            }
            out += "["
            rest = rest.dropFirst()
        }
        return out + rest
    }

    /// `v` in decimal, zero-padded to `width` digits (printf's `%0Nd`), for the date variables.
    public static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
