/// The numbers that govern the queues: attempt limits, backoff and leases.
public struct QueueSettings: Sendable {
    /// Attempts per stage before a transient failure becomes final.
    public var maxAttempts: [TaskStage: Int]
    /// The first retry waits up to this long; each further one up to twice as long.
    public var backoffBaseMillis: Int64
    /// No retry waits longer than this (unless `Retry-After` asks for more).
    public var backoffCapMillis: Int64
    /// How long a claim holds a job before another worker may take it over.
    public var leaseMillis: Int64
    /// What a download whose content is already in the store does.
    public var duplicates: Configuration.Store.Duplicates

    public init(
        maxAttempts: [TaskStage: Int] = [.download: 6, .metadata: 3, .analysis: 3],
        backoffBaseMillis: Int64 = 1_000, backoffCapMillis: Int64 = 300_000,
        leaseMillis: Int64 = 900_000, duplicates: Configuration.Store.Duplicates = .skip
    ) {
        self.maxAttempts = maxAttempts
        self.backoffBaseMillis = backoffBaseMillis
        self.backoffCapMillis = backoffCapMillis
        self.leaseMillis = leaseMillis
        self.duplicates = duplicates
    }

    /// The settings a configuration asks for. A lease outlasts the longest a stage may take:
    /// a download's whole timeout, or the external analyzer's, with a margin.
    public init(configuration: Configuration) {
        self.init(
            maxAttempts: [
                .download: configuration.download.maxAttempts,
                .metadata: configuration.metadata.maxAttempts,
                .analysis: configuration.analysis.maxAttempts,
            ],
            leaseMillis: Int64(
                max(
                    configuration.download.timeoutSeconds,
                    configuration.analysis.commandTimeoutSeconds) + 600) * 1000,
            duplicates: configuration.store.duplicates)
    }

    /// The delay before attempt `failedAttempt + 1`: exponential backoff with full jitter, a
    /// uniformly random wait between zero and `min(cap, base * 2^(failedAttempt - 1))`, so
    /// that many tasks failing together do not retry together.
    public func backoffMillis(
        afterAttempt failedAttempt: Int,
        using generator: inout some RandomNumberGenerator
    ) -> Int64 {
        let exponent = min(max(failedAttempt - 1, 0), 40)
        let ceiling = min(backoffCapMillis, backoffBaseMillis << Int64(exponent))
        guard ceiling > 0 else { return 0 }
        return Int64.random(in: 0...ceiling, using: &generator)
    }

    /// The attempt limit of `stage`.
    public func attempts(for stage: TaskStage) -> Int {
        maxAttempts[stage] ?? 1
    }
}
