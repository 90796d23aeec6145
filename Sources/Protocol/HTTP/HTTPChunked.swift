/// The chunked transfer coding (RFC 9112 §7.1), writing side.
public enum HTTPChunked {
    /// `bytes` framed as one chunk: hex size, CRLF, data, CRLF. Empty input gives no bytes,
    /// since an empty chunk would end the body.
    public static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        var out = Array(String(bytes.count, radix: 16).utf8)
        out.reserveCapacity(out.count + bytes.count + 4)
        out += [0x0D, 0x0A]
        out += bytes
        out += [0x0D, 0x0A]
        return out
    }

    /// The last chunk with no trailer: ends a chunked body.
    public static let last: [UInt8] = Array("0\r\n\r\n".utf8)
}

/// Decodes a chunked body incrementally, for the request parser and for clients. Chunk
/// extensions and trailer fields are read and ignored. Bounded: the decoded size, the length
/// of a size line and of the trailer. Errors are 400, or 413 for a body over `maxBodyBytes`.
public struct HTTPChunkedDecoder: Sendable {
    /// Longest chunk-size line, extensions included.
    public static let maxLineBytes = 4096
    /// Largest trailer section.
    public static let maxTrailerBytes = 16 * 1024

    private enum State: Sendable {
        case size
        case data(Int)
        case dataEnd(sawCR: Bool)
        case trailer
        case done
    }

    public let maxBodyBytes: Int
    /// Data bytes decoded so far.
    public private(set) var decodedBytes = 0
    private var state = State.size
    private var line: [UInt8] = []
    private var trailerBytes = 0

    public init(maxBodyBytes: Int = Int.max) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// True once the last chunk and the trailer have been read.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Decodes from `bytes`, appending data to `out`. Returns how many bytes were consumed:
    /// all of them, unless the body ended before (the rest belongs to what follows it).
    public mutating func decode(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) throws(HTTPParseError) -> Int {
        var i = 0
        while i < bytes.count {
            switch state {
            case .done:
                return i
            case .data(let remaining):
                let n = min(remaining, bytes.count - i)
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]))
                i += n
                state = remaining == n ? .dataEnd(sawCR: false) : .data(remaining - n)
            case .dataEnd(let sawCR):
                let c = bytes[i]
                i += 1
                if c == 0x0D && !sawCR {
                    state = .dataEnd(sawCR: true)
                } else if c == 0x0A {
                    state = .size
                } else {
                    throw HTTPParseError.bad("chunk data not followed by CRLF")
                }
            case .size, .trailer:
                let b = bytes[i]
                i += 1
                if b != 0x0A {
                    line.append(b)
                    if line.count > Self.maxLineBytes + 1 { throw HTTPParseError.bad("chunk line too long") }
                    continue
                }
                if line.last == 0x0D { line.removeLast() }
                defer { line.removeAll(keepingCapacity: true) }
                if case .size = state {
                    try startChunk()
                } else {
                    try trailerLine()
                }
            }
        }
        return i
    }

    /// Decodes a whole chunked body held in memory; throws when it is incomplete.
    public mutating func decode(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        _ = try bytes.withUnsafeBytes { try decode($0, into: &out) }
        guard isComplete else { throw HTTPParseError.bad("chunked body ends early") }
        return out
    }

    /// `chunk-size [ BWS ";" chunk-ext ]`.
    private mutating func startChunk() throws(HTTPParseError) {
        var size = 0
        var k = 0
        while k < line.count, let digit = HTTPSyntax.hexValue(line[k]) {
            guard size <= (Int.max - digit) >> 4 else { throw HTTPParseError.bad("chunk size overflows") }
            size = size << 4 | digit
            k += 1
        }
        guard k > 0 else { throw HTTPParseError.bad("malformed chunk size") }
        while k < line.count && (line[k] == 0x20 || line[k] == 0x09) { k += 1 }
        if k < line.count && line[k] != 0x3B { throw HTTPParseError.bad("malformed chunk size") }
        if line[k...].contains(where: { $0 != 0x09 && HTTPSyntax.isControl($0) }) {
            throw HTTPParseError.bad("control character in a chunk extension")
        }
        guard size <= maxBodyBytes - decodedBytes else {
            throw HTTPParseError(status: 413, "chunked body larger than \(maxBodyBytes) bytes")
        }
        decodedBytes += size
        state = size == 0 ? .trailer : .data(size)
    }

    private mutating func trailerLine() throws(HTTPParseError) {
        if line.isEmpty {
            state = .done
            return
        }
        trailerBytes += line.count + 2
        if trailerBytes > Self.maxTrailerBytes { throw HTTPParseError(status: 431, "trailer section too large") }
        _ = try HTTPHeadReader.field(line)
    }
}
