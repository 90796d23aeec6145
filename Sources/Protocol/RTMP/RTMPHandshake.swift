import Kernel

/// The RTMP handshake, simple and complex (digest) forms, as Flash/FMS, ffmpeg, OBS and SRS use.
///
/// Complex C1/S1 are `time(4) version(4)` then two 764-byte blocks, a key block and a digest block,
/// in either order (schema 0: key first; schema 1: digest first). The digest block holds a 4-byte
/// offset sum, and at `sum % 728` a 32-byte HMAC-SHA256 of the whole packet without those 32 bytes.
public enum RTMPHandshake {
    public static let c0c1Size = 1537
    public static let s0s1s2Size = 3073
    public static let c2Size = 1536
    static let packetSize = 1536

    private static let keyTail: [UInt8] = [
        0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
        0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
    ]
    /// "Genuine Adobe Flash Player 001" + 32 bytes; the first 30 sign C1.
    static let playerKey: [UInt8] = Array("Genuine Adobe Flash Player 001".utf8) + keyTail
    /// "Genuine Adobe Flash Media Server 001" + 32 bytes; the first 36 sign S1.
    static let serverKey: [UInt8] = Array("Genuine Adobe Flash Media Server 001".utf8) + keyTail

    enum Schema: CaseIterable {
        case keyFirst, digestFirst
        /// Offset of the digest block in the 1536-byte packet.
        var digestBlock: Int { self == .keyFirst ? 772 : 8 }
    }

    /// Where the 32 digest bytes are in `packet`, per the offset sum of its digest block.
    static func digestPosition(_ packet: ArraySlice<UInt8>, schema: Schema) -> Int {
        let base = packet.startIndex + schema.digestBlock
        let sum = Int(packet[base]) + Int(packet[base + 1]) + Int(packet[base + 2]) + Int(packet[base + 3])
        return schema.digestBlock + 4 + sum % 728
    }

    /// HMAC of the packet without its 32 digest bytes at `position`.
    static func digest(_ packet: ArraySlice<UInt8>, position: Int, key: ArraySlice<UInt8>) -> [UInt8] {
        let s = packet.startIndex
        var joined = [UInt8]()
        joined.reserveCapacity(packetSize - 32)
        joined += packet[s..<(s + position)]
        joined += packet[(s + position + 32)..<(s + packetSize)]
        return HMACSHA256.authenticationCode(key: key, message: joined)
    }

    /// The schema and digest position of a validly signed packet, or nil.
    static func findDigest(_ packet: ArraySlice<UInt8>, key: ArraySlice<UInt8>) -> (Schema, Int)? {
        for schema in Schema.allCases {
            let pos = digestPosition(packet, schema: schema)
            let s = packet.startIndex
            if digest(packet, position: pos, key: key) == Array(packet[(s + pos)..<(s + pos + 32)]) { return (schema, pos) }
        }
        return nil
    }

    static func randomBytes<R: RandomNumberGenerator>(_ n: Int, _ rng: inout R) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var i = 0
        while i < n {
            let v = rng.next() as UInt64
            for b in 0..<8 where i < n {
                out[i] = UInt8(truncatingIfNeeded: v >> (UInt64(b) * 8))
                i += 1
            }
        }
        return out
    }

    /// A signed packet: `time`, `version`, random, then the digest placed per `schema`.
    static func signedPacket<R: RandomNumberGenerator>(time: UInt32, version: [UInt8], schema: Schema,
                                                       key: ArraySlice<UInt8>, using rng: inout R) -> ([UInt8], Int) {
        var p = randomBytes(packetSize, &rng)
        p[0] = UInt8(truncatingIfNeeded: time >> 24)
        p[1] = UInt8(truncatingIfNeeded: time >> 16)
        p[2] = UInt8(truncatingIfNeeded: time >> 8)
        p[3] = UInt8(truncatingIfNeeded: time)
        p[4..<8] = version[0..<4]
        let pos = digestPosition(p[...], schema: schema)
        p[pos..<(pos + 32)] = digest(p[...], position: pos, key: key)[...]
        return (p, pos)
    }

    /// The second packet of a complex exchange: random, signed with a key derived from the peer's digest.
    static func signedResponse<R: RandomNumberGenerator>(peerDigest: ArraySlice<UInt8>, fullKey: [UInt8], using rng: inout R) -> [UInt8] {
        var p = randomBytes(packetSize, &rng)
        let key = HMACSHA256.authenticationCode(key: fullKey, message: peerDigest)
        let sig = HMACSHA256.authenticationCode(key: key, message: p[0..<(packetSize - 32)])
        p[(packetSize - 32)...] = sig[...]
        return p
    }

    /// Server side. Input: C0+C1 (1537 bytes). Output: S0+S1+S2. Complex when C1 carries a valid
    /// digest, else simple (S2 echoes C1). Throws if C0 is not version 3.
    public static func serverResponse<R: RandomNumberGenerator>(c0c1: [UInt8], time: UInt32,
                                                                using rng: inout R) throws -> (response: [UInt8], complex: Bool) {
        guard c0c1.count >= c0c1Size else { throw KernelError.truncated("rtmp c0c1") }
        guard c0c1[0] == 3 else { throw RTMPError.malformed("handshake version \(c0c1[0]), want 3") }
        let c1 = c0c1[1..<c0c1Size]
        // A zero version field means a simple-handshake client.
        let clientVersionZero = c1[c1.startIndex + 4..<c1.startIndex + 8].allSatisfy { $0 == 0 }
        if !clientVersionZero, let (schema, pos) = findDigest(c1, key: playerKey[0..<30]) {
            let c1Digest = c1[(c1.startIndex + pos)..<(c1.startIndex + pos + 32)]
            let (s1, _) = signedPacket(time: time, version: [0x04, 0x05, 0x00, 0x01], schema: schema,
                                       key: serverKey[0..<36], using: &rng)
            let s2 = signedResponse(peerDigest: c1Digest, fullKey: serverKey, using: &rng)
            return ([3] + s1 + s2, true)
        }
        var s1 = randomBytes(packetSize, &rng)
        s1[0] = UInt8(truncatingIfNeeded: time >> 24)
        s1[1] = UInt8(truncatingIfNeeded: time >> 16)
        s1[2] = UInt8(truncatingIfNeeded: time >> 8)
        s1[3] = UInt8(truncatingIfNeeded: time)
        s1[4..<8] = [0, 0, 0, 0]
        return ([3] + s1 + Array(c1), false)
    }

    /// Client side: C0+C1, complex, digest first (schema 1) with version 9.0.124.2, as ffmpeg sends.
    public static func clientHello<R: RandomNumberGenerator>(time: UInt32, using rng: inout R) -> [UInt8] {
        let (c1, _) = signedPacket(time: time, version: [9, 0, 124, 2], schema: .digestFirst,
                                   key: playerKey[0..<30], using: &rng)
        return [3] + c1
    }

    /// Client side: C2 for the server's S0+S1+S2, given our C1 (without C0). Complex when S1 is
    /// signed by a server key, else the echo of S1.
    public static func clientResponse<R: RandomNumberGenerator>(c1: [UInt8], s0s1s2: [UInt8],
                                                                using rng: inout R) throws -> [UInt8] {
        try clientExchange(c1: c1, s0s1s2: s0s1s2, using: &rng).c2
    }

    /// `clientResponse`, and whether the server signed S1 (the complex form).
    public static func clientExchange<R: RandomNumberGenerator>(c1: [UInt8], s0s1s2: [UInt8],
                                                                using rng: inout R) throws -> (c2: [UInt8], complex: Bool) {
        guard s0s1s2.count >= s0s1s2Size, c1.count >= packetSize else { throw KernelError.truncated("rtmp s0s1s2") }
        guard s0s1s2[0] == 3 else { throw RTMPError.malformed("handshake version \(s0s1s2[0]), want 3") }
        let s1 = s0s1s2[1..<(1 + packetSize)]
        if s1[s1.startIndex + 5] >= 3, let (_, pos) = findDigest(s1, key: serverKey[0..<36]) {
            return (signedResponse(peerDigest: s1[(s1.startIndex + pos)..<(s1.startIndex + pos + 32)],
                                   fullKey: playerKey, using: &rng), true)
        }
        return (Array(s1), false)
    }
}
