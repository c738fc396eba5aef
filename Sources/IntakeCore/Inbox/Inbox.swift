import Foundation
import Synchronization

/// The inbox of a home: watches `inbox/` recursively and turns every settled file into a
/// claimed drop handed to a `DropSink`.
///
/// `run(sink:)` works until its task is cancelled; `scanOnce(sink:)` takes what is there now and
/// returns. The database must already be migrated (`Schema.apply`), and `work/` and
/// `rejected/` must exist (`Home.createLayout`). One process at a time may run an inbox on a
/// home (`HomeLock`).
public final class Inbox: Sendable {
    public let home: Home
    public let settings: InboxSettings
    private let logger: Logger
    private let diskGuard: DiskSpaceGuard?
    private let readyFlag = Atomic<Bool>(false)

    /// `diskGuard`, when given, holds claims back while its gate is closed and hears of every
    /// failure to record or move a drop, so that a full disk pauses the inbox.
    public init(
        home: Home, settings: InboxSettings, logger: Logger = .silent,
        diskGuard: DiskSpaceGuard? = nil
    ) {
        self.home = home
        self.settings = settings
        self.logger = logger
        self.diskGuard = diskGuard
    }

    /// True once `run` has finished its start-up scan: every file that was in the inbox at
    /// start is noted and will be taken once settled.
    public var isReady: Bool { readyFlag.load(ordering: .acquiring) }

    /// Watches the inbox and hands claimed drops to `sink` until the calling task is
    /// cancelled. The work runs on a thread of its own, because it blocks in `poll(2)`. One
    /// `run` at a time per home.
    public func run(sink: some DropSink) async throws {
        let control = try InboxControl()
        let home = home
        let settings = settings
        let logger = logger
        let diskGuard = diskGuard
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<Void, any Error>) in
                let thread = Thread { [self] in
                    do {
                        let engine = try InboxEngine(
                            home: home, settings: settings, sink: sink, logger: logger,
                            diskGuard: diskGuard)
                        try engine.run(control: control) {
                            readyFlag.store(true, ordering: .releasing)
                        }
                        continuation.resume()
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
                thread.name = "intake-inbox"
                thread.start()
            }
        } onCancel: {
            control.stop()
        }
        readyFlag.store(false, ordering: .releasing)
    }

    /// Finishes drops an earlier run left halfway, then claims every file now in the inbox once
    /// it has settled, and returns how many drops were recorded. Blocks the calling thread for
    /// at least the settle time when there are files. Like `run`, it must only be called by the
    /// process holding the home's lock: finishing another process's claims while they are in
    /// flight would undo them.
    @discardableResult
    public func scanOnce(sink: some DropSink) throws -> Int {
        let engine = try InboxEngine(
            home: home, settings: settings, sink: sink, logger: logger, diskGuard: diskGuard)
        return engine.scanOnce()
    }
}
