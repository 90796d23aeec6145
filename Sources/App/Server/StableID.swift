import Protocol

/// Short ids derived from names (`vid-` + 7 base-36 characters of a 64-bit FNV-1a hash), so
/// every worker process names the same vhost or stream the same way in the API.
enum StableID {
    static func make(_ name: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        var out = "vid-"
        for _ in 0..<7 {
            out.append(digits[Int(h % 36)])
            h /= 36
        }
        return out
    }
}

extension StableID {
    /// A stream's id (`/api/v1/streams`, hook bodies).
    static func make(_ key: StreamKey) -> String { make(key.description) }
}
