/// Parses the SRS/nginx config syntax into a tree of `ConfigDirective`s. Pure: files are read
/// through the injected `readFile`, so tests feed text directly.
///
/// Syntax (as nginx's `ngx_conf_read_token`): tokens are separated by blanks; `;` ends a
/// directive, `{` opens its block and `}` closes it; `#` at the start of a token comments out the
/// rest of the line; `"..."` and `'...'` quote a token (`\"`, `\'`, `\\` escaped);
/// `include a.conf b.conf;` splices other files in place, at any level.
public struct ConfigParser {
    /// Reads a file's text, or returns nil when it does not exist (other failures throw).
    public typealias ReadFile = (_ path: String) throws -> String?

    /// Includes nested deeper than this are refused (an include loop would never end).
    public static let maxIncludeDepth = 16
    /// Blocks nested deeper than this are refused (hostile input must not exhaust the stack).
    public static let maxBlockDepth = 32

    private let readFile: ReadFile

    public init(readFile: @escaping ReadFile) { self.readFile = readFile }

    /// Parses `text` as the contents of `file`; returns the top-level directives.
    public func parse(_ text: String, file: String) throws(ConfigError) -> [ConfigDirective] {
        try parse(text, file: file, includeDepth: 0)
    }

    /// Reads and parses `path`.
    public func parseFile(_ path: String) throws(ConfigError) -> [ConfigDirective] {
        let text: String?
        do { text = try readFile(path) } catch { throw ConfigError("", "cannot read \(path): \(error)") }
        guard let text else { throw ConfigError("", "cannot open \(path): no such file") }
        return try parse(text, file: path, includeDepth: 0)
    }

    private func parse(_ text: String, file: String, includeDepth: Int) throws(ConfigError) -> [ConfigDirective] {
        var lexer = ConfigLexer(text: text, file: file)
        let directives = try parseBlock(&lexer, depth: 0, opener: nil)
        return try expandIncludes(directives, file: file, includeDepth: includeDepth)
    }

    /// Reads directives until `}` (inside a block) or the end of the text (top level).
    private func parseBlock(_ lexer: inout ConfigLexer, depth: Int, opener: ConfigDirective?) throws(ConfigError) -> [ConfigDirective] {
        var out: [ConfigDirective] = []
        var words: [String] = []
        var startLine = 0
        while true {
            let token = try lexer.next()
            switch token.kind {
            case .word(let w):
                if words.isEmpty { startLine = token.line }
                words.append(w)
            case .semicolon:
                guard let name = words.first else {
                    throw ConfigError("\(lexer.file):\(token.line)", "unexpected \";\"")
                }
                out.append(ConfigDirective(name: name, args: Array(words.dropFirst()), file: lexer.file, line: startLine))
                words = []
            case .open:
                guard let name = words.first else {
                    throw ConfigError("\(lexer.file):\(token.line)", "unexpected \"{\" without a directive name")
                }
                guard depth < Self.maxBlockDepth else {
                    throw ConfigError("\(lexer.file):\(token.line)", "blocks nested deeper than \(Self.maxBlockDepth)")
                }
                var d = ConfigDirective(name: name, args: Array(words.dropFirst()), isBlock: true, file: lexer.file, line: startLine)
                d.children = try parseBlock(&lexer, depth: depth + 1, opener: d)
                out.append(d)
                words = []
            case .close:
                if let name = words.first {
                    throw ConfigError("\(lexer.file):\(startLine)", "directive \"\(name)\" is not terminated by \";\"")
                }
                guard opener != nil else { throw ConfigError("\(lexer.file):\(token.line)", "unexpected \"}\"") }
                return out
            case .end:
                if let name = words.first {
                    throw ConfigError("\(lexer.file):\(startLine)", "unexpected end of file, directive \"\(name)\" is not terminated by \";\"")
                }
                if let o = opener {
                    throw ConfigError("\(lexer.file):\(token.line)", "unexpected end of file, expecting \"}\" to close \"\(o.name)\" opened at line \(o.line)")
                }
                return out
            }
        }
    }

    private func expandIncludes(_ list: [ConfigDirective], file: String, includeDepth: Int) throws(ConfigError) -> [ConfigDirective] {
        var out: [ConfigDirective] = []
        for var d in list {
            if d.name == "include" && !d.isBlock {
                guard !d.args.isEmpty else { throw ConfigError(d, "include needs at least one file") }
                guard includeDepth < Self.maxIncludeDepth else {
                    throw ConfigError(d, "includes nested deeper than \(Self.maxIncludeDepth) (an include loop?)")
                }
                for path in d.args {
                    let (resolved, text) = try readInclude(path, from: d)
                    out += try parse(text, file: resolved, includeDepth: includeDepth + 1)
                }
                continue
            }
            d.children = try expandIncludes(d.children, file: file, includeDepth: includeDepth)
            out.append(d)
        }
        return out
    }

    /// SRS resolves an include against the working directory; nginx against the including
    /// file's directory. Accept both: the working directory first, then the file's directory.
    private func readInclude(_ path: String, from d: ConfigDirective) throws(ConfigError) -> (path: String, text: String) {
        var candidates = [path]
        if !path.hasPrefix("/"), let slash = d.file.lastIndex(of: "/") { candidates.append(String(d.file[...slash]) + path) }
        for p in candidates {
            let text: String?
            do { text = try readFile(p) } catch { throw ConfigError(d, "cannot read \(p): \(error)") }
            if let text { return (p, text) }
        }
        throw ConfigError(d, "cannot open include \(path): no such file")
    }
}

/// Splits config text into tokens, tracking line numbers.
struct ConfigLexer {
    enum Kind: Equatable { case word(String), semicolon, open, close, end }
    struct Token { var kind: Kind; var line: Int }

    let file: String
    private let bytes: [UInt8]
    private var i = 0
    private var line = 1

    init(text: String, file: String) {
        self.bytes = Array(text.utf8)
        self.file = file
    }

    mutating func next() throws(ConfigError) -> Token {
        skipBlanksAndComments()
        guard i < bytes.count else { return Token(kind: .end, line: line) }
        let c = bytes[i]
        switch c {
        case UInt8(ascii: ";"): i += 1; return Token(kind: .semicolon, line: line)
        case UInt8(ascii: "{"): i += 1; return Token(kind: .open, line: line)
        case UInt8(ascii: "}"): i += 1; return Token(kind: .close, line: line)
        case UInt8(ascii: "\""), UInt8(ascii: "'"): return try quoted(c)
        default: return bare()
        }
    }

    private mutating func skipBlanksAndComments() {
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\n") {
                line += 1
                i += 1
            } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                i += 1
            } else if c == UInt8(ascii: "#") {
                while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            } else {
                return
            }
        }
    }

    private mutating func bare() -> Token {
        let start = i
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n")
                || c == UInt8(ascii: ";") || c == UInt8(ascii: "{") || c == UInt8(ascii: "}") {
                break
            }
            i += 1
        }
        return Token(kind: .word(String(decoding: bytes[start..<i], as: UTF8.self)), line: line)
    }

    private mutating func quoted(_ quote: UInt8) throws(ConfigError) -> Token {
        let startLine = line
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            if c == quote {
                i += 1
                return Token(kind: .word(String(decoding: out, as: UTF8.self)), line: startLine)
            }
            if c == UInt8(ascii: "\\"), i + 1 < bytes.count,
               [quote, UInt8(ascii: "\\")].contains(bytes[i + 1]) {
                out.append(bytes[i + 1])
                i += 2
                continue
            }
            if c == UInt8(ascii: "\n") { line += 1 }
            out.append(c)
            i += 1
        }
        throw ConfigError("\(file):\(startLine)", "unterminated quoted string")
    }
}
