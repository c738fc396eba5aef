/// Where committed events go. The `OutboxRelay` hands each batch of outbox rows, in order, to
/// one publisher and marks them published only after `publish` returned; the spool is the
/// publisher built now, and a message broker would be another implementation of this
/// protocol rather than a change to the relay.
public protocol EventPublisher: Sendable {
    /// Called once before the first batch, to clean up after an interrupted run.
    func prepare() throws

    /// Publishes `events` durably, in order. Publishing an event again (after a crash between
    /// `publish` and marking it published) must be harmless: delivery is at least once.
    func publish(_ events: [OutboxEvent]) throws

    /// Housekeeping run from time to time (retention).
    func maintain(now: Int64) throws
}
