import Kernel

/// The sliding window of an HLS playlist: the newest segments whose durations add up to
/// `hls_window` seconds, as SRS keeps them (the segment that crosses the window stays, so a
/// playlist never holds less than the window).
struct HLSWindow {
    var windowSeconds: Double
    private(set) var segments: [M3U8Segment] = []
    /// The file of each segment, parallel to `segments`.
    private(set) var files: [String] = []

    init(windowSeconds: Double) { self.windowSeconds = windowSeconds }

    /// Adds the newest segment; returns the files of the segments that left the window.
    mutating func append(_ segment: M3U8Segment, file: String) -> [String] {
        segments.append(segment)
        files.append(file)
        var total = 0.0
        var keepFrom = 0
        for i in stride(from: segments.count - 1, through: 0, by: -1) {
            total += segments[i].duration
            if total > windowSeconds {
                keepFrom = i
                break
            }
        }
        guard keepFrom > 0 else { return [] }
        let removed = Array(files[0..<keepFrom])
        segments.removeFirst(keepFrom)
        files.removeFirst(keepFrom)
        return removed
    }
}
