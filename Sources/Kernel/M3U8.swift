/// HLS media playlists (RFC 8216), written as SRS writes them and read back tolerantly.
public enum M3U8 {
    /// A parsed media playlist.
    public struct Playlist: Equatable, Sendable {
        public var version: Int?
        public var mediaSequence: Int
        public var targetDuration: Int
        public var segments: [M3U8Segment]
        /// EXT-X-ENDLIST was present: no segment will be added.
        public var endList: Bool
    }

    /// A live media playlist: header, then each segment's EXTINF (3 decimals, " no desc" title
    /// as SRS writes) and URI, preceded by EXT-X-DISCONTINUITY where flagged. The target
    /// duration written is the larger of `targetDuration` and every segment's duration rounded
    /// up: RFC 8216 4.3.3.1 requires it to be at least each EXTINF rounded to the nearest integer.
    public static func mediaPlaylist(segments: [M3U8Segment], targetDuration: Int, mediaSequence: Int) -> String {
        var target = max(0, targetDuration)
        for s in segments {
            // Round up the millisecond value actually written, so 2.0004 (written 2.000) counts as 2.
            target = max(target, (milliseconds(s.duration) + 999) / 1000)
        }
        var text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:\(mediaSequence)\n#EXT-X-TARGETDURATION:\(target)\n"
        for s in segments {
            if s.discontinuity { text += "#EXT-X-DISCONTINUITY\n" }
            text += "#EXTINF:\(formatSeconds(s.duration)), no desc\n\(s.uri)\n"
        }
        return text
    }

    /// Seconds with exactly three decimals ("10.000", "2.005"), without Foundation's formatter.
    /// Negative, NaN and infinite durations are written as 0.000.
    public static func formatSeconds(_ seconds: Double) -> String {
        let ms = milliseconds(seconds)
        let fraction = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// Rounded to the nearest millisecond; 0 for negative or non-finite input, capped at ~31 years.
    private static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int(min(seconds, 1e9) * 1000 + 0.5)
    }

    /// Parses a media playlist. Unknown tags and comments are skipped; each segment takes the
    /// sequence number media sequence + its index. Throws `KernelError.invalid` if the text
    /// does not start with #EXTM3U or an EXTINF duration is not a number.
    public static func parse(_ text: String) throws -> Playlist {
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
        guard lines.first == "#EXTM3U" else { throw KernelError.invalid("playlist does not start with #EXTM3U") }
        var playlist = Playlist(version: nil, mediaSequence: 0, targetDuration: 0, segments: [], endList: false)
        var pendingDuration: Double?
        var pendingDiscontinuity = false
        for line in lines.dropFirst() {
            if line.hasPrefix("#EXTINF:") {
                let value = line.dropFirst("#EXTINF:".count).prefix { $0 != "," }
                guard let d = Double(value.trimmingSpaces()) else { throw KernelError.invalid("EXTINF duration '\(value)'") }
                pendingDuration = d
            } else if line == "#EXT-X-DISCONTINUITY" {
                pendingDiscontinuity = true
            } else if line == "#EXT-X-ENDLIST" {
                playlist.endList = true
            } else if let v = intValue(line, tag: "#EXT-X-MEDIA-SEQUENCE:") {
                playlist.mediaSequence = v
            } else if let v = intValue(line, tag: "#EXT-X-TARGETDURATION:") {
                playlist.targetDuration = v
            } else if let v = intValue(line, tag: "#EXT-X-VERSION:") {
                playlist.version = v
            } else if !line.hasPrefix("#") {
                let sequence = playlist.mediaSequence + playlist.segments.count
                playlist.segments.append(M3U8Segment(uri: line, duration: pendingDuration ?? 0,
                                                     discontinuity: pendingDiscontinuity, sequence: sequence))
                pendingDuration = nil
                pendingDiscontinuity = false
            }
        }
        return playlist
    }

    private static func intValue(_ line: String, tag: String) -> Int? {
        guard line.hasPrefix(tag) else { return nil }
        return Int(line.dropFirst(tag.count).trimmingSpaces())
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Foundation's trimming is not available here).
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
