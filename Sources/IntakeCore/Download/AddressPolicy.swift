import Foundation

/// Which addresses a download may connect to. By default only globally routable unicast
/// addresses: loopback, private, shared (carrier-grade NAT), link-local (including the cloud
/// metadata address 169.254.169.254), unique-local, multicast, broadcast, reserved and
/// unspecified addresses are refused, also when they hide inside an IPv6 address (mapped,
/// compatible, NAT64, 6to4).
///
/// The check runs on the address a socket is about to connect to, so neither DNS answers nor
/// redirects can route around it.
struct AddressPolicy: Sendable {
    /// When true, every address is allowed (`download.allow_private_addresses`).
    let allowsPrivateAddresses: Bool
    /// Addresses allowed even though the rule refuses them, as numeric text (`127.0.0.1`).
    let exemptAddresses: Set<String>

    /// True when a connection to the socket address at `address` may be opened.
    func allows(_ address: UnsafeRawPointer, family: Int32) -> Bool {
        if allowsPrivateAddresses { return true }
        guard let text = AddressPolicy.text(address, family: family) else { return false }
        if exemptAddresses.contains(text) { return true }
        switch family {
        case AF_INET:
            let socket = address.loadUnaligned(as: sockaddr_in.self)
            let value = UInt32(bigEndian: socket.sin_addr.s_addr)
            return AddressPolicy.isPublic(ipv4: value)
        case AF_INET6:
            let socket = address.loadUnaligned(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: socket.sin6_addr) { Array($0) }
            return AddressPolicy.isPublic(ipv6: bytes)
        default:
            return false
        }
    }

    /// The numeric text of a socket address (`10.0.0.1`, `::1`), for messages.
    static func text(_ address: UnsafeRawPointer, family: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let result: UnsafePointer<CChar>?
        switch family {
        case AF_INET:
            var socket = address.loadUnaligned(as: sockaddr_in.self)
            result = inet_ntop(AF_INET, &socket.sin_addr, &buffer, socklen_t(buffer.count))
        case AF_INET6:
            var socket = address.loadUnaligned(as: sockaddr_in6.self)
            result = inet_ntop(AF_INET6, &socket.sin6_addr, &buffer, socklen_t(buffer.count))
        default:
            return nil
        }
        guard result != nil else { return nil }
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True for a globally routable IPv4 unicast address (host byte order).
    static func isPublic(ipv4 value: UInt32) -> Bool {
        func within(_ network: UInt32, _ prefix: UInt32) -> Bool {
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
            return value & mask == network & mask
        }
        let refused: [(UInt32, UInt32)] = [
            (0x0000_0000, 8),  // 0.0.0.0/8 "this network", unspecified
            (0x0A00_0000, 8),  // 10.0.0.0/8 private
            (0x6440_0000, 10),  // 100.64.0.0/10 shared address space
            (0x7F00_0000, 8),  // 127.0.0.0/8 loopback
            (0xA9FE_0000, 16),  // 169.254.0.0/16 link-local, cloud metadata
            (0xAC10_0000, 12),  // 172.16.0.0/12 private
            (0xC000_0000, 24),  // 192.0.0.0/24 protocol assignments
            (0xC0A8_0000, 16),  // 192.168.0.0/16 private
            (0xC612_0000, 15),  // 198.18.0.0/15 benchmarking
            (0xE000_0000, 4),  // 224.0.0.0/4 multicast
            (0xF000_0000, 4),  // 240.0.0.0/4 reserved, broadcast
        ]
        return !refused.contains { within($0.0, $0.1) }
    }

    /// True for a globally routable IPv6 unicast address (16 bytes, network order).
    static func isPublic(ipv6 bytes: [UInt8]) -> Bool {
        precondition(bytes.count == 16)
        func embeddedIPv4(at offset: Int) -> UInt32 {
            bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let leadingZeros = bytes[0..<10].allSatisfy { $0 == 0 }
        if leadingZeros && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return isPublic(ipv4: embeddedIPv4(at: 12))  // ::ffff:a.b.c.d mapped
        }
        if leadingZeros && bytes[10] == 0 && bytes[11] == 0 {
            return false  // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
        }
        if bytes[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] {
            return isPublic(ipv4: embeddedIPv4(at: 12))  // 64:ff9b::/96 NAT64
        }
        if bytes[0] == 0x20 && bytes[1] == 0x02 {
            return isPublic(ipv4: embeddedIPv4(at: 2))  // 2002::/16 6to4
        }
        if bytes[0] == 0xFF { return false }  // ff00::/8 multicast
        if bytes[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
        if bytes[0] == 0xFE && bytes[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local
        if bytes[0] == 0x01 && bytes[1...7].allSatisfy({ $0 == 0 }) { return false }  // discard
        return true
    }
}
