import CSystem
import Foundation
import Synchronization

/// How the async world stops the inbox's thread: a flag, and a pipe whose write end wakes the
/// thread's `poll(2)`.
final class InboxControl: Sendable {
    private let stopped = Atomic<Bool>(false)
    // The descriptors are fixed at creation and closed only in deinit, after every user.
    let wakeDescriptor: Int32
    private let signalDescriptor: Int32

    init() throws(InboxError) {
        var descriptors: [Int32] = [-1, -1]
        let result = intake_pipe_cloexec(&descriptors)
        guard result == 0 else {
            throw InboxError.system(function: "pipe", path: "-", errno: -result)
        }
        _ = fcntl(descriptors[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(descriptors[1], F_SETFL, O_NONBLOCK)
        wakeDescriptor = descriptors[0]
        signalDescriptor = descriptors[1]
    }

    deinit {
        close(wakeDescriptor)
        close(signalDescriptor)
    }

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Asks the loop to stop and wakes it.
    func stop() {
        stopped.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(signalDescriptor, &byte, 1)
    }

    /// Empties the pipe after a wake-up.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeDescriptor, &buffer, buffer.count) > 0 {}
    }
}
