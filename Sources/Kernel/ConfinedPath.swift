/// The one way to build a file path from something a client named (HLS playlists and
/// segments, DVR files, any later writer): a configured root directory joined with a relative
/// path rendered from the names, proven to stay inside the root.
///
/// The proof is lexical: the relative part is split on `/`, empty and `.` components are
/// dropped, `..` removes the component before it and is refused when there is none (it would
/// climb out of the root). The root is the operator's and is used as written (a trailing `/`
/// dropped), `..` in it included. Symbolic links are not resolved: a link inside the root is the
/// operator's to make, and a client cannot create one.
public enum ConfinedPath {
    /// Why a path was refused.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// The root is empty or holds a control character.
        case badRoot
        /// The relative path holds NUL or another control character (see `ControlCharacter`),
        /// which would truncate or garble the path the kernel sees.
        case controlCharacter
        /// The relative path starts with `/`.
        case absolute
        /// A `..` climbs above the root.
        case escapesRoot
        /// The relative path names no file under the root (`""`, `.`, `a/..`).
        case empty

        public var description: String {
            switch self {
            case .badRoot: return "the root directory is empty or has a control character"
            case .controlCharacter: return "a control character in the path"
            case .absolute: return "an absolute path where a relative one was expected"
            case .escapesRoot: return "the path climbs out of its root directory"
            case .empty: return "the path names no file"
            }
        }
    }

    /// `root/relative`, normalized, or the reason it cannot be: `("./html", "live/s.m3u8")` →
    /// `./html/live/s.m3u8`; `("/data/", "a//./b/../c.ts")` → `/data/a/c.ts`;
    /// `("./html", "../etc/passwd")` → `escapesRoot`; `("./html", "x\0.m3u8")` → `controlCharacter`.
    public static func join(root: String, _ relative: String) throws(Refusal) -> String {
        guard !root.isEmpty, !ControlCharacter.contains(in: root) else { throw .badRoot }
        guard !ControlCharacter.contains(in: relative) else { throw .controlCharacter }
        guard !relative.hasPrefix("/") else { throw .absolute }
        var parts: [Substring] = []
        for part in relative.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".":
                continue
            case "..":
                guard parts.popLast() != nil else { throw .escapesRoot }
            default:
                parts.append(part)
            }
        }
        guard !parts.isEmpty else { throw .empty }
        var base = Substring(root)
        while base.count > 1 && base.hasSuffix("/") { base = base.dropLast() }
        let separator = base == "/" ? "" : "/"
        return base + separator + parts.joined(separator: "/")
    }

    /// Splits a whole-path template such as `dvr_path ./objs/nginx/html/[app]/[stream].[timestamp].flv`
    /// into the fixed root directory (`./objs/nginx/html`) and the relative template rendered from
    /// names (`[app]/[stream].[timestamp].flv`), for `join`. The root is every component before the
    /// first one holding a `[variable]`, never the file name itself: `./a/b.flv` → (`./a`, `b.flv`),
    /// `[app].flv` → (`.`, `[app].flv`), `/[app].flv` → (`/`, `[app].flv`).
    public static func splitTemplate(_ template: String) -> (root: String, relative: String) {
        let parts = template.split(separator: "/", omittingEmptySubsequences: false)
        let fixedCount = min(parts.firstIndex { $0.contains("[") } ?? parts.count, parts.count - 1)
        let relative = parts[fixedCount...].filter { !$0.isEmpty }.joined(separator: "/")
        let fixed = parts[..<fixedCount]
        if fixed.isEmpty { return (".", relative) }
        if fixed.allSatisfy(\.isEmpty) { return ("/", relative) }
        return (fixed.joined(separator: "/"), relative)
    }
}
