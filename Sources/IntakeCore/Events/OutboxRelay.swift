import Dispatch
import Foundation
import Synchronization

/// Drains the outbox into an `EventPublisher`: in publication order, in batches, marking each
/// batch published only after the publisher returned, so that an event is never lost and at
/// worst delivered twice.
///
/// It runs on its own serial queue with its own database connection. The coordinator calls
/// `wake()` after each commit that appended events; a slow safety timer catches anything a
/// wake-up missed (another process's commit, a failed batch to retry). There is no polling
/// loop: between wake-ups the relay is idle.
///
/// `@unchecked Sendable`: the mutable state (`database`, `timer`, counters) is read and
/// written only on `queue`, a serial queue, which every entry point goes through.
public final class OutboxRelay: @unchecked Sendable {
    /// How the relay is tuned.
    public struct Settings: Sendable {
        /// Rows per batch: one transaction and one round of folder syncs each.
        public var batchSize = 256
        /// Interval of the safety timer.
        public var safetyInterval: Duration = .seconds(5)
        /// Interval of the publisher's housekeeping (retention).
        public var maintenanceInterval: Duration = .seconds(3600)

        public init() {}
    }

    private let databasePath: String
    private let publisher: any EventPublisher
    private let settings: Settings
    private let logger: Logger
    private let failed: @Sendable (any Error) -> Void
    private let queue = DispatchQueue(label: "intake.outbox-relay")
    private let wakePending = Atomic<Bool>(false)
    private var database: Database?
    private var timer: (any DispatchSourceTimer)?
    private var lastMaintenance: UInt64 = 0
    private var stopped = false
    private var published = 0

    /// `failed` hears of every batch that could not be published (the daemon pauses on a full
    /// disk).
    public init(
        databasePath: String, publisher: any EventPublisher, settings: Settings = Settings(),
        logger: Logger = .silent, failed: @escaping @Sendable (any Error) -> Void = { _ in }
    ) {
        self.databasePath = databasePath
        self.publisher = publisher
        self.settings = settings
        self.logger = logger
        self.failed = failed
    }

    /// Opens the database, cleans up after an interrupted run, publishes the backlog and
    /// arms the safety timer.
    public func start() throws {
        try queue.sync {
            database = try Database(path: databasePath)
            try publisher.prepare()
            let timer = DispatchSource.makeTimerSource(queue: queue)
            let interval = settings.safetyInterval
            timer.schedule(
                deadline: .now() + interval.timeInterval, repeating: interval.timeInterval,
                leeway: .milliseconds(100))
            timer.setEventHandler { [weak self] in self?.drain() }
            self.timer = timer
            timer.resume()
            drain()
        }
    }

    /// Asks the relay to publish what was committed; cheap, and coalesced while a drain is
    /// pending.
    public func wake() {
        guard !wakePending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { [self] in
            wakePending.store(false, ordering: .releasing)
            drain()
        }
    }

    /// Publishes everything committed so far and returns how many events that was.
    @discardableResult
    public func drainNow() -> Int {
        queue.sync { drain() }
    }

    /// Stops the timer and waits for a running batch; later wake-ups do nothing.
    public func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
            stopped = true
            database = nil
        }
    }

    /// Events published since start.
    public var publishedCount: Int { queue.sync { published } }

    @discardableResult
    private func drain() -> Int {
        dispatchPrecondition(condition: .onQueue(queue))
        guard !stopped, let database else { return 0 }
        var total = 0
        do {
            while true {
                let batch = try Outbox.unpublished(in: database, limit: settings.batchSize)
                if batch.isEmpty { break }
                try publisher.publish(batch)
                try Outbox.markPublished(batch.map(\.seq), in: database)
                total += batch.count
                if batch.count < settings.batchSize { break }
            }
        } catch {
            // The batch stays unpublished; the safety timer tries it again.
            failed(error)
            logger.error(
                "event publishing failed", ("error", "\(error)"),
                ("retry.in.s", "\(settings.safetyInterval.components.seconds)"))
        }
        published += total
        let now = Clock.monotonicNanos()
        let every = UInt64(settings.maintenanceInterval.components.seconds) * 1_000_000_000
        if lastMaintenance == 0 || now - lastMaintenance >= every {
            lastMaintenance = now
            do {
                try publisher.maintain(now: Clock.nowMillis())
            } catch {
                logger.warning("spool maintenance failed", ("error", "\(error)"))
            }
        }
        return total
    }
}
