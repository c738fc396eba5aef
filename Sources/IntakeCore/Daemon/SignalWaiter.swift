import Foundation

/// Stop signals (SIGTERM, SIGINT), SIGHUP and SIGUSR1 (sent by commands that changed the
/// queues), taken synchronously with `sigwait(3)`.
///
/// `block()` must run on the main thread before the daemon starts other threads: threads
/// inherit the mask, so the signals stay pending for the process until `wait()` takes them,
/// and no handler runs at an arbitrary point of another thread.
public enum SignalWaiter {
    static let signals: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1]

    /// Blocks the daemon's signals in the calling thread and every thread it starts later.
    public static func block() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits for the next signal and returns its number.
    public static func wait() -> Int32 {
        var set = signalSet()
        var number: Int32 = 0
        while sigwait(&set, &number) != 0 {}
        return number
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals {
            sigaddset(&set, number)
        }
        return set
    }
}
