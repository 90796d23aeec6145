/// The framed body of an HTTP message, for the request and response parsers alike: a known
/// `Content-Length`, or `chunked` coding (decoded). Bytes in, body bytes out.
struct HTTPBodyReader: Sendable {
    private enum Framing: Sendable {
        case length(remaining: Int)
        case chunked(HTTPChunkedDecoder)
    }

    private var framing: Framing

    /// A body of exactly `length` bytes (> 0).
    init(length: Int) { framing = .length(remaining: length) }

    /// A chunked body of at most `maxBodyBytes` decoded bytes.
    init(chunkedMax maxBodyBytes: Int) { framing = .chunked(HTTPChunkedDecoder(maxBodyBytes: maxBodyBytes)) }

    /// Reads what it can of `bytes[from...]`: how many bytes it took, the body bytes they carry,
    /// and whether the body is now complete.
    mutating func read(_ bytes: UnsafeRawBufferPointer, from i: Int) throws(HTTPParseError)
        -> (consumed: Int, body: [UInt8], complete: Bool) {
        switch framing {
        case .length(let remaining):
            let n = min(remaining, bytes.count - i)
            framing = .length(remaining: remaining - n)
            return (n, Array(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)])), remaining == n)
        case .chunked(var decoder):
            var out: [UInt8] = []
            let n = try decoder.decode(UnsafeRawBufferPointer(rebasing: bytes[i...]), into: &out)
            framing = .chunked(decoder)
            return (n, out, decoder.isComplete)
        }
    }

    /// What is missing, for an error when the connection ends first.
    var incompleteDescription: String {
        switch framing {
        case .length: return "body shorter than its Content-Length"
        case .chunked: return "chunked body without its last chunk"
        }
    }
}
