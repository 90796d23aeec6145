/// A vhost's `security` rules, decided as SRS 7 does (`srs_app_security.cpp`):
///
/// 1. every `deny` rule of the action (`play` or `publish`) is checked first: one that matches
///    refuses (`deny by rule<target>`);
/// 2. then the `allow` rules of the action: one that matches accepts;
/// 3. otherwise: refused when there is any `allow` rule (of any action) or no rule at all
///    (`not allowed by any of N/M rules`), accepted when there are only `deny` rules.
///
/// A rule's target matches when it is `all`, the client's address as written, or a network
/// holding it (`10.0.0.0/8`; IPv6 networks too, beyond SRS, and an IPv4-mapped IPv6 client
/// matches IPv4 networks). Pure: the owner passes the client's address.
public struct SecurityRules: Equatable, Sendable {
    /// What a client wants to do.
    public enum Action: String, Equatable, Sendable { case play, publish }

    public enum Target: Equatable, Sendable, CustomStringConvertible {
        case all
        case network(IPNetwork)
        /// Anything else: SRS compares it with the client's address as text.
        case literal(String)

        public var description: String {
            switch self {
            case .all: return "all"
            case .network(let n): return n.prefixLength == n.address.bytes.count * 8 ? Self.text(n.address) : "\(Self.text(n.address))/\(n.prefixLength)"
            case .literal(let s): return s
            }
        }

        private static func text(_ a: IPAddress) -> String {
            if a.isIPv4 { return a.bytes.map(String.init).joined(separator: ".") }
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(a.bytes[$0]) << 8 | UInt16(a.bytes[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        }
    }

    public struct Rule: Equatable, Sendable {
        public var allow: Bool
        /// `play` or `publish`; another word counts as a rule (SRS counts it) but matches nothing.
        public var action: String
        public var target: Target
        /// The text as written, for refusal messages (`deny by rule<10.0.0.0/8>`).
        public var written: String

        public init(allow: Bool, action: String, target: String) {
            self.allow = allow
            self.action = action
            self.written = target
            if target == "all" {
                self.target = .all
            } else if let n = IPNetwork(target) {
                self.target = .network(n)
            } else {
                self.target = .literal(target)
            }
        }

        func matches(_ action: Action, ip: String, address: IPAddress?) -> Bool {
            guard self.action == action.rawValue else { return false }
            switch target {
            case .all: return true
            case .literal(let s): return s == ip
            case .network(let n): return written == ip || (address.map(n.contains) ?? false)
            }
        }
    }

    public var rules: [Rule]

    public init(_ rules: [Rule] = []) { self.rules = rules }

    /// Nil when `ip` may do `action`, else SRS's reason.
    public func refusal(_ action: Action, ip: String) -> String? {
        let address = IPAddress(ip)
        for r in rules where !r.allow && r.matches(action, ip: ip, address: address) {
            return "deny by rule<\(r.written)>"
        }
        for r in rules where r.allow && r.matches(action, ip: ip, address: address) { return nil }
        let allows = rules.filter(\.allow).count
        let denies = rules.count - allows
        if allows > 0 || rules.isEmpty { return "not allowed by any of \(allows)/\(denies) rules" }
        return nil
    }

    /// Why a target is likely a mistake (for a config warning), or nil: a word that is neither
    /// `all`, an address nor a network only matches a client whose address is written so.
    public static func targetWarning(_ target: String) -> String? {
        if target == "all" || IPNetwork(target) != nil { return nil }
        if target.contains("/") { return "\"\(target)\" is not a valid network (IPv4 /1 to /32, IPv6 /0 to /128; write all for every client)" }
        return "\"\(target)\" is neither all, an IP address nor a network: it matches only a client address written exactly so"
    }
}
