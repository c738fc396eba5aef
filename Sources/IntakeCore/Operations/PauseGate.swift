import Foundation
import Synchronization

/// A gate that work passes through while it is open: paused (for example when the disk is
/// full) it holds every caller of `wait()` until `resume()`.
///
/// The inbox and the stage workers wait at the gate before taking the next drop or job, so a
/// pause stops new work without failing what is already running. Async callers suspend;
/// threads that are not in Swift concurrency use `waitBlocking(timeout:)`.
public final class PauseGate: Sendable {
    private struct State {
        var reason: String?
        var since: Int64?
        var nextWaiter = 0
        var suspended: [Int: CheckedContinuation<Void, any Error>] = [:]
        var blocked: [Int: DispatchSemaphore] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Why the gate is closed, nil while it is open.
    public var reason: String? { state.withLock { $0.reason } }

    /// True while the gate is closed.
    public var isPaused: Bool { reason != nil }

    /// When (Unix ms) the gate was closed, nil while it is open.
    public var pausedSince: Int64? { state.withLock { $0.since } }

    /// Closes the gate for `reason`. Closing a closed gate only replaces the reason.
    /// Returns true when the gate was open before.
    @discardableResult
    public func pause(reason: String) -> Bool {
        state.withLock { state in
            let wasOpen = state.reason == nil
            state.reason = reason
            if wasOpen { state.since = Clock.nowMillis() }
            return wasOpen
        }
    }

    /// Opens the gate and lets every waiter go. Returns true when it was closed before.
    @discardableResult
    public func resume() -> Bool {
        let (wasPaused, suspended, blocked) = state.withLock { state in
            let taken = (state.reason != nil, state.suspended, state.blocked)
            state.reason = nil
            state.since = nil
            state.suspended = [:]
            state.blocked = [:]
            return taken
        }
        for continuation in suspended.values { continuation.resume() }
        for semaphore in blocked.values { semaphore.signal() }
        return wasPaused
    }

    /// Returns at once while the gate is open, else when it opens. Throws `CancellationError`
    /// when the calling task is cancelled while it waits.
    public func wait() async throws {
        let ticket = state.withLock { state -> Int? in
            guard state.reason != nil else { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let ticket else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let stillClosed = state.withLock { state in
                    guard state.reason != nil, !Task.isCancelled else { return false }
                    state.suspended[ticket] = continuation
                    return true
                }
                guard !stillClosed else { return }
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    continuation.resume()
                }
            }
        } onCancel: {
            let continuation = state.withLock { $0.suspended.removeValue(forKey: ticket) }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// Blocks the calling thread until the gate is open or `timeout` has passed. Returns true
    /// when the gate is open.
    public func waitBlocking(timeout: Duration) -> Bool {
        let semaphore = DispatchSemaphore(value: 0)
        let ticket = state.withLock { state -> Int? in
            guard state.reason != nil else { return nil }
            state.nextWaiter += 1
            state.blocked[state.nextWaiter] = semaphore
            return state.nextWaiter
        }
        guard let ticket else { return true }
        let nanos =
            timeout.components.seconds * 1_000_000_000
            + timeout.components.attoseconds / 1_000_000_000
        if semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: nanos))) == .success {
            return true
        }
        // Timed out, unless `resume()` took the semaphore between the timeout and this lock.
        let removed = state.withLock { $0.blocked.removeValue(forKey: ticket) }
        return removed == nil
    }
}
