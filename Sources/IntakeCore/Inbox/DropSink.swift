/// Where the inbox hands each claimed drop: the coordinator, which turns it into tasks.
///
/// The inbox has already recorded every drop in `drops` with state `claiming` and moved its
/// file into `work/`. An implementation must, in one database transaction for the whole batch,
/// create each drop's tasks and call `DropLedger.markClaimed(_:in:)` for it. That single
/// transaction is what makes a drop become tasks exactly once: if the process dies before it
/// commits, the drop is still `claiming` and the inbox hands it over again at the next start;
/// after it commits, the inbox never hands it over again.
///
/// `record` is called from the inbox's own thread, one batch at a time. A throw leaves the
/// whole batch `claiming`; the inbox retries it later.
public protocol DropSink: Sendable {
    /// Creates the tasks of `drops` and marks them claimed, all in one transaction.
    func record(_ drops: [ClaimedDrop]) throws
}
