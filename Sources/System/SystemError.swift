import Glibc

/// A failed system call: the call's name, errno, and what we were doing.
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let errno: Int32
    public let context: String

    public init(_ call: String, errno: Int32 = Glibc.errno, context: String = "") {
        self.call = call
        self.errno = errno
        self.context = context
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return context.isEmpty ? "\(call): \(reason) (errno=\(errno))" : "\(call) \(context): \(reason) (errno=\(errno))"
    }
}
