import Foundation
import Synchronization

/// The shared destination of a logger's lines; the mutex keeps whole lines together.
final class LogSink: Sendable {
    let fileDescriptor: Int32
    private let lock = Mutex(())

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    func write(_ line: String) {
        lock.withLock { _ in
            var bytes = Array(line.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { buffer in
                    Glibc.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
            bytes.removeAll()
        }
    }
}
