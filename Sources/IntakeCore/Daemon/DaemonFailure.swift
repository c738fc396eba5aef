import Synchronization

/// The first unrecoverable error of a part of the daemon, which makes it exit non-zero.
final class DaemonFailure: Sendable {
    private let first = Mutex<(any Error)?>(nil)

    func record(_ error: any Error) {
        first.withLock { $0 = $0 ?? error }
    }

    var error: (any Error)? { first.withLock { $0 } }
}
