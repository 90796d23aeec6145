import Protocol
import System

/// A complete (non-streaming) HTTP response built by a handler.
struct HTTPResponse {
    var status: Int
    var headers: [HTTPHeader] = []
    var body: [UInt8] = []

    init(status: Int, contentType: String? = nil, body: [UInt8] = []) {
        self.status = status
        self.body = body
        if let t = contentType { headers.append(HTTPHeader("Content-Type", t)) }
    }

    static func json(_ value: JSONValue, callback: String? = nil) -> HTTPResponse {
        if let cb = callback, isSafeCallback(cb) {
            // JSONP, as SRS's API supports with `?callback=`.
            return HTTPResponse(status: 200, contentType: "text/javascript", body: Array("\(cb)(\(value.encode()))".utf8))
        }
        return HTTPResponse(status: 200, contentType: "application/json", body: Array(value.encode().utf8))
    }

    static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    static func redirect(_ location: String) -> HTTPResponse {
        var r = HTTPResponse.text(302, "Redirect to \(location)\n")
        r.headers.append(HTTPHeader("Location", location))
        return r
    }

    /// A JSONP callback name must be a plain identifier (no script injection).
    static func isSafeCallback(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 64 && s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2E || c == 0x24
        }
    }
}
