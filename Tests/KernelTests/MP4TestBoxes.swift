import XCTest
@testable import Kernel

/// A minimal ISO BMFF reader for the tests: boxes by path, and the fields of the boxes our
/// writer makes, decoded independently of it.
struct MP4TestBoxes {
    struct Box {
        var type: String
        var offset: Int
        /// The body: after the size, type (and largesize).
        var body: ArraySlice<UInt8>
        var children: [Box]
    }

    let bytes: [UInt8]
    let top: [Box]

    static let containers: Set<String> = ["moov", "trak", "mdia", "minf", "stbl", "dinf", "edts"]

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        top = try Self.parse(bytes, bytes.startIndex..<bytes.endIndex)
    }

    private static func parse(_ bytes: [UInt8], _ range: Range<Int>) throws -> [Box] {
        var boxes: [Box] = []
        var i = range.lowerBound
        while i < range.upperBound {
            var r = ByteReader(bytes, offset: i, end: range.upperBound)
            var size = Int(try r.u32())
            let type = String(decoding: try r.read(4), as: UTF8.self)
            var header = 8
            if size == 1 {
                size = Int(try r.u64())
                header = 16
            }
            guard size >= header, i + size <= range.upperBound else { throw KernelError.invalid("box \(type) size \(size) at \(i)") }
            let body = (i + header)..<(i + size)
            var children: [Box] = []
            if containers.contains(type) {
                children = try parse(bytes, body)
            } else if type == "stsd" {
                children = try parse(bytes, (body.lowerBound + 8)..<body.upperBound)
            } else if type == "avc1" {
                children = try parse(bytes, (body.lowerBound + 78)..<body.upperBound)
            } else if type == "mp4a" {
                children = try parse(bytes, (body.lowerBound + 28)..<body.upperBound)
            } else if type == "dref" {
                children = try parse(bytes, (body.lowerBound + 8)..<body.upperBound)
            }
            boxes.append(Box(type: type, offset: i, body: bytes[body], children: children))
            i += size
        }
        return boxes
    }

    /// The boxes at a path such as "moov/trak/mdia/mdhd" (every trak when there are several).
    func all(_ path: String) -> [Box] {
        var level = top
        var found: [Box] = []
        let parts = path.split(separator: "/").map(String.init)
        for (i, part) in parts.enumerated() {
            found = level.filter { $0.type == part }
            if i < parts.count - 1 { level = found.flatMap(\.children) }
        }
        return found
    }

    func first(_ path: String) -> Box? { all(path).first }

    /// A box's body read as big-endian 32-bit words after the version/flags word.
    static func words(_ box: Box, skipping: Int = 4) -> [UInt32] {
        var r = ByteReader(Array(box.body), offset: skipping)
        var out: [UInt32] = []
        while r.remaining >= 4 { out.append((try? r.u32()) ?? 0) }
        return out
    }

    /// Entries of a table box (stts, ctts, stss, stsz, stco, stsc) as rows of `width` words.
    static func table(_ box: Box, width: Int, skipping: Int = 4) -> [[UInt32]] {
        let w = words(box, skipping: skipping)
        guard let count = w.first else { return [] }
        return (0..<Int(count)).map { i in Array(w[(1 + i * width)..<(1 + (i + 1) * width)]) }
    }

    /// A track's tables by name, for the track whose handler is `handler` ("vide", "soun").
    func track(_ handler: String) -> Box? {
        all("moov/trak").first { trak in
            let hdlr = trak.children.first { $0.type == "mdia" }?.children.first { $0.type == "hdlr" }
            return hdlr.map { String(decoding: $0.body.dropFirst(8).prefix(4), as: UTF8.self) } == handler
        }
    }

    static func child(_ box: Box, _ path: String) -> Box? {
        var current: Box? = box
        for part in path.split(separator: "/") { current = current?.children.first { $0.type == part } }
        return current
    }
}
