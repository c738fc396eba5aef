import Foundation

@testable import IntakeCore

/// A bound AF_UNIX datagram socket standing in for systemd's notification socket.
final class DatagramListener {
    private let descriptor: Int32
    private let path: String?

    convenience init(path: String) throws {
        try self.init(address: path, abstract: false)
    }

    convenience init(abstractName: String) throws {
        try self.init(address: abstractName, abstract: true)
    }

    private init(address: String, abstract: Bool) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = abstract ? nil : address
        var (storage, length) = try SystemdNotifier.address(
            of: abstract ? "@" + address : address)
        let result = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length)
            }
        }
        guard result == 0 else {
            let number = errno
            close(descriptor)
            throw POSIXError(.init(rawValue: number) ?? .EIO)
        }
    }

    deinit {
        close(descriptor)
        if let path { unlink(path) }
    }

    /// The next datagram as text, or nil when none arrives within `timeout` milliseconds.
    func receive(timeout: Int32 = 5_000) -> String? {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeout) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4_096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
