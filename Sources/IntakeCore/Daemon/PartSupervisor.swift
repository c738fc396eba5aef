import Foundation

/// Keeps one part of the daemon running. A part that fails (throws, or returns while it was
/// not asked to stop) is logged and started again after a delay that doubles from
/// `Policy.firstDelay` up to `Policy.longestDelay`; a run that lasted `Policy.healthyAfter`
/// forgets the earlier failures. After `Policy.giveUpAfter` failures in a row the part is given
/// up: `run` throws a `PartFailure`, and the daemon stops with a non-zero status and a message
/// that says what to do.
struct PartSupervisor: Sendable {
    /// One part: works until its task is cancelled.
    typealias Part = @Sendable () async throws -> Void

    /// When to restart, and when to give up.
    struct Policy: Sendable {
        var firstDelay: Duration = .seconds(1)
        var longestDelay: Duration = .seconds(60)
        var healthyAfter: Duration = .seconds(300)
        var giveUpAfter = 8

        /// The wait before the restart that follows failure number `failures` (1, 2, ...).
        func delay(afterFailures failures: Int) -> Duration {
            var delay = firstDelay
            for _ in 1..<max(failures, 1) where delay < longestDelay {
                delay *= 2
            }
            return min(delay, longestDelay)
        }
    }

    /// The part's name in log lines: `inbox`, `download workers`, ...
    let name: String
    let policy: Policy
    let logger: Logger
    /// Runs before each restart (not before the first start): the daemon makes the home's
    /// folders again there, so that a removed folder is not a reason to fail again.
    var beforeRestart: @Sendable () -> Void = {}

    /// Runs `part` until the calling task is cancelled, restarting it as the policy says.
    /// Returns when cancelled; throws `PartFailure` when the part is given up.
    func run(_ part: Part) async throws(PartFailure) {
        var failures = 0
        var restarts = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let failure: any Error
            do {
                try await part()
                if Task.isCancelled { return }
                failure = PartEnded()
            } catch {
                if Task.isCancelled { return }
                failure = error
            }
            if ContinuousClock.now - started >= policy.healthyAfter { failures = 0 }
            failures += 1
            if failures >= policy.giveUpAfter {
                throw PartFailure(part: name, failures: failures, last: "\(failure)")
            }
            let delay = policy.delay(afterFailures: failures)
            logger.error(
                "part failed; restarting it", ("part", name), ("failures", "\(failures)"),
                ("restart.in.s", "\(delay.components.seconds)"),
                ("error", "\(failure)"))
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            beforeRestart()
            restarts += 1
            logger.info("part restarted", ("part", name), ("restarts", "\(restarts)"))
        }
    }
}

/// A part that returned although nobody asked it to stop.
private struct PartEnded: CodedError {
    var code: String { "part_ended" }
    var message: String { "it stopped by itself" }
}
