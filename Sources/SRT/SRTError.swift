import CSRT

/// A failed libsrt call: its name, libsrt's error code and message, and what we were doing.
public struct SRTError: Error, Equatable, CustomStringConvertible {
    public let call: String
    /// libsrt's SRT_ERRNO value (`1000 * major + minor`: 6002 = would block on read...).
    public let code: Int32
    public let message: String
    public let context: String

    public init(call: String, code: Int32, message: String, context: String = "") {
        self.call = call
        self.code = code
        self.message = message
        self.context = context
    }

    /// The error libsrt reports for the calling thread's last call.
    public static func last(_ call: String, context: String = "") -> SRTError {
        let code = srt_getlasterror(nil)
        let message = srt_getlasterror_str().map { String(cString: $0) } ?? "unknown"
        return SRTError(call: call, code: code, message: message, context: context)
    }

    public var description: String {
        context.isEmpty ? "\(call): \(message) (srt error \(code))" : "\(call) \(context): \(message) (srt error \(code))"
    }

    /// A non-blocking read or write found nothing to do (SRT_EASYNCRCV, SRT_EASYNCSND).
    public var wouldBlock: Bool {
        code == SRT_EASYNCRCV.rawValue || code == SRT_EASYNCSND.rawValue || code == SRT_EASYNCFAIL.rawValue
    }

    /// The connection is gone (broken, closed by the peer, or never was).
    public var connectionLost: Bool {
        code == SRT_ECONNLOST.rawValue || code == SRT_ENOCONN.rawValue || code == SRT_EINVSOCK.rawValue
    }
}
