import Hummingbird
import NIOCore

/// Who a request comes from, for throttling: the connection's peer address, or, when that peer
/// is one of `server.trusted_proxies`, the nearest address in `X-Forwarded-For` that is not a
/// trusted proxy (everything further left could be written by the client itself).
///
/// IPv6 addresses count by their /64 prefix: one host usually holds a whole /64, so counting
/// single addresses would let it rotate through billions of them.
public struct ClientAddress: Sendable {
    let trustedProxies: Set<String>

    public init(trustedProxies: [String] = []) {
        self.trustedProxies = Set(trustedProxies.map(Self.canonical))
    }

    func of(_ request: Request, context: GatewayContext) -> String {
        guard let peer = context.remoteAddress?.ipAddress.map(Self.canonical) else { return "unknown" }
        guard trustedProxies.contains(peer) else { return Self.bucket(peer) }
        let forwarded = request.headers[values: .init("X-Forwarded-For")!]
            .flatMap { $0.split(separator: ",") }
            .map { Self.canonical(String($0).trimmingCharacters(in: .whitespaces)) }
        for address in forwarded.reversed() where !trustedProxies.contains(address) {
            return Self.bucket(address)
        }
        return Self.bucket(peer)
    }

    /// An address as written in configuration and headers, normalized: IPv4-mapped IPv6 as IPv4,
    /// lower case.
    static func canonical(_ address: String) -> String {
        let lower = address.lowercased()
        if lower.hasPrefix("::ffff:"), lower.contains(".") { return String(lower.dropFirst(7)) }
        return lower
    }

    /// The throttling key of an address: itself for IPv4, its /64 for IPv6.
    static func bucket(_ address: String) -> String {
        guard address.contains(":"), let socket = try? SocketAddress(ipAddress: address, port: 0),
            case .v6(let v6) = socket
        else { return address }
        var raw = v6.address.sin6_addr
        let groups = withUnsafeBytes(of: &raw) { bytes in
            (0..<4).map { String(UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]), radix: 16) }
        }
        return groups.joined(separator: ":") + "::/64"
    }
}
