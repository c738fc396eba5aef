import Foundation
import Synchronization

/// The shared destination of a logger's lines, and the level every copy of the logger logs
/// at; the mutex keeps whole lines together.
final class LogSink: Sendable {
    let fileDescriptor: Int32
    /// `Logger.Level.rawValue` of the lowest level written.
    let threshold: Atomic<Int>
    private let lock = Mutex(())

    init(fileDescriptor: Int32, level: Logger.Level) {
        self.fileDescriptor = fileDescriptor
        self.threshold = Atomic(level.rawValue)
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
