extension ConfigDirective {
    /// The directives as config text that parses back to the same tree (includes already
    /// spliced in). The master sends this to its workers, so they run exactly what it validated.
    public static func render(_ list: [ConfigDirective], indent: String = "") -> String {
        var out = ""
        for d in list {
            out += indent + ([d.name] + d.args).map(quote).joined(separator: " ")
            if d.isBlock {
                out += " {\n" + render(d.children, indent: indent + "    ") + indent + "}\n"
            } else {
                out += ";\n"
            }
        }
        return out
    }

    /// A token as written: bare when it can be, else double-quoted with `"` and `\` escaped.
    static func quote(_ token: String) -> String {
        let special: Set<Character> = [" ", "\t", "\r", "\n", ";", "{", "}", "#", "\"", "'", "\\"]
        guard token.isEmpty || token.contains(where: { special.contains($0) }) else { return token }
        var out = "\""
        for c in token {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
    }
}
