/// The characters that a name, a file path or a log line never carries raw: they truncate C
/// strings (NUL), break lines (CR, LF and the Unicode line and paragraph separators) or drive
/// terminals (ESC and the other controls).
///
/// The set: C0 controls U+0000–U+001F (tab included), DEL U+007F, C1 controls U+0080–U+009F
/// (Unicode's general category Cc) and U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR, which
/// JavaScript, JSON viewers and some log tools treat as line ends. Everything else, non-ASCII
/// letters included, is an ordinary character.
public enum ControlCharacter {
    /// Whether `scalar` is in the set above.
    @inlinable
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (v >= 0x7F && v <= 0x9F) || v == 0x2028 || v == 0x2029
    }

    /// Whether `text` holds any character of the set.
    @inlinable
    public static func contains<S: StringProtocol>(in text: S) -> Bool {
        // Fast path: the set's scalars all have a UTF-8 lead byte below 0x20, 0x7F, 0xC2 (C1)
        // or 0xE2 (U+2028/9); text without those bytes needs no scalar decoding.
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }) else { return false }
        return text.unicodeScalars.contains(where: isControl)
    }
}
