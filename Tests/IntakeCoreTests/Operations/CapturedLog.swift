import Foundation

@testable import IntakeCore

/// A logger whose lines land in a pipe that the test reads back.
final class CapturedLog: Sendable {
    let logger: Logger
    private let descriptors: (read: Int32, write: Int32)

    init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "pipe")
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        descriptors = (fds[0], fds[1])
        logger = Logger(level: .debug, fileDescriptor: fds[1])
    }

    deinit {
        close(descriptors.read)
        close(descriptors.write)
    }

    /// Everything written so far.
    var text: String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptors.read, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
