import Kernel

/// Keeps a log record on one line whatever a client put in it: names, URLs, params, HTTP
/// requests, error texts that quote them. `Log` applies it to every message, so no call site
/// can forget it.
///
/// Escapes, unambiguously (a backslash in the text is doubled, so `\n` in the log is always an
/// escaped newline and `\\n` a backslash and an `n` the client sent):
/// - `\` → `\\`; LF → `\n`; CR → `\r`; tab → `\t`;
/// - every other `ControlCharacter` (NUL, ESC, DEL, C1, U+2028/U+2029) → `\xNN` for each of its
///   UTF-8 bytes (`\x00`, `\x1b`, `\xc2\x85`).
/// Other text, non-ASCII included, is kept as it is.
public enum LogEscaping {
    /// `text`, escaped as above; the same string when nothing needs escaping.
    public static func escape(_ text: String) -> String {
        let bytes = text.utf8
        // Everything to escape starts with one of these bytes: most messages are returned as
        // they are, without a copy.
        guard bytes.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x5C || $0 == 0xC2 || $0 == 0xE2 }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += [0x5C, 0x5C]
            case "\n": out += [0x5C, 0x6E]
            case "\r": out += [0x5C, 0x72]
            case "\t": out += [0x5C, 0x74]
            default:
                if ControlCharacter.isControl(scalar) {
                    for b in scalar.utf8 { out += [0x5C, 0x78, hex(b >> 4), hex(b & 0xF)] }
                } else {
                    out += scalar.utf8
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10 }
}
