import Foundation
import Synchronization

/// Standard output and error of a child process, gathered from pipe handlers on other threads.
final class CollectedOutput: Sendable {
    private let buffers = Mutex<(out: Data, err: Data)>((Data(), Data()))

    func append(out data: Data) {
        buffers.withLock { $0.out.append(data) }
    }

    func append(err data: Data) {
        buffers.withLock { $0.err.append(data) }
    }

    var out: String { buffers.withLock { String(decoding: $0.out, as: UTF8.self) } }
    var err: String { buffers.withLock { String(decoding: $0.err, as: UTF8.self) } }
}
