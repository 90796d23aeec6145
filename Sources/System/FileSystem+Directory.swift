import Glibc

extension FileSystem {
    /// The process's working directory (`getcwd`), or nil when it cannot be read (removed, or
    /// longer than PATH_MAX).
    public static func currentDirectory() -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return nil }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
