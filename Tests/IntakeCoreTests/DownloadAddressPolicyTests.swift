import Foundation
import Testing

@testable import IntakeCore

/// Which addresses the download address policy refuses.
@Suite struct DownloadAddressPolicyTests {
    private func ipv4(_ text: String) -> UInt32 {
        var address = in_addr()
        #expect(inet_pton(AF_INET, text, &address) == 1)
        return UInt32(bigEndian: address.s_addr)
    }

    private func ipv6(_ text: String) -> [UInt8] {
        var address = in6_addr()
        #expect(inet_pton(AF_INET6, text, &address) == 1)
        return withUnsafeBytes(of: address) { Array($0) }
    }

    @Test(arguments: [
        "0.0.0.0", "10.1.2.3", "100.64.0.1", "127.0.0.1", "127.9.9.9", "169.254.169.254",
        "172.16.0.1", "172.31.255.255", "192.168.1.1", "224.0.0.1", "239.255.255.250",
        "255.255.255.255", "198.18.0.1",
    ])
    func refusesNonPublicIPv4(address: String) {
        #expect(!AddressPolicy.isPublic(ipv4: ipv4(address)))
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "172.32.0.1", "93.184.216.34", "100.128.0.1"])
    func allowsPublicIPv4(address: String) {
        #expect(AddressPolicy.isPublic(ipv4: ipv4(address)))
    }

    @Test(arguments: [
        "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
        "::ffff:169.254.169.254", "64:ff9b::a00:1", "2002:a00:1::1", "fec0::1", "::10.0.0.1",
    ])
    func refusesNonPublicIPv6(address: String) {
        #expect(!AddressPolicy.isPublic(ipv6: ipv6(address)))
    }

    @Test(arguments: ["2001:4860:4860::8888", "2606:4700::1111", "::ffff:8.8.8.8"])
    func allowsPublicIPv6(address: String) {
        #expect(AddressPolicy.isPublic(ipv6: ipv6(address)))
    }

    @Test func exemptAddressesAndTheSwitchOverrideTheRule() {
        var socket = sockaddr_in()
        socket.sin_family = sa_family_t(AF_INET)
        socket.sin_addr.s_addr = in_addr_t(ipv4("127.0.0.1")).bigEndian
        let strict = AddressPolicy(allowsPrivateAddresses: false, exemptAddresses: [])
        let exempt = AddressPolicy(allowsPrivateAddresses: false, exemptAddresses: ["127.0.0.1"])
        let open = AddressPolicy(allowsPrivateAddresses: true, exemptAddresses: [])

        withUnsafeBytes(of: socket) { raw in
            #expect(!strict.allows(raw.baseAddress!, family: AF_INET))
            #expect(exempt.allows(raw.baseAddress!, family: AF_INET))
            #expect(open.allows(raw.baseAddress!, family: AF_INET))
        }
    }
}
