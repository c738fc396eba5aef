import Dispatch
import Synchronization

/// Wakes one waiting worker dispatcher when work may have arrived, or at a deadline.
///
/// A signal sent while nobody waits is remembered, so a wake-up between "found nothing" and
/// "wait" is never lost. Nothing polls: a deadline is one timer, set only when a retry or a
/// lease expiry is scheduled.
public final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes the waiter, or the next one to wait.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            state.generation &+= 1
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next signal, at `deadlineMillis` (Unix ms), or when the task is
    /// cancelled, whichever comes first. Only one task may wait at a time.
    public func wait(untilMillis deadlineMillis: Int64?) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let generation = state.withLock { state -> UInt64? in
                    if state.pending {
                        state.pending = false
                        return nil
                    }
                    precondition(state.waiter == nil, "WakeSignal has one waiter at a time")
                    state.waiter = continuation
                    return state.generation
                }
                guard let generation else {
                    continuation.resume()
                    return
                }
                if let deadlineMillis {
                    let delay = max(deadlineMillis - Clock.nowMillis(), 0)
                    DispatchQueue.global().asyncAfter(
                        deadline: .now() + .milliseconds(Int(min(delay, 86_400_000)))
                    ) { [self] in
                        fire(generation: generation)
                    }
                }
            }
        } onCancel: {
            signal()
        }
    }

    /// Wakes the waiter of `generation` if it is still waiting (the deadline's timer).
    private func fire(generation: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.generation == generation, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.generation &+= 1
            return waiter
        }
        waiter?.resume()
    }
}
