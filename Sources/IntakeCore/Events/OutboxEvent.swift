/// One row of the outbox: an event committed with the change it reports, and its envelope
/// (`body`) already formed.
public struct OutboxEvent: Sendable, Equatable {
    /// The publication number; names in the spool sort by it.
    public let seq: Int64
    public let eventID: String
    public let eventType: String
    public let taskID: String?
    public let traceID: String?
    /// Unix milliseconds when the row was committed.
    public let createdAt: Int64
    /// The full JSON envelope of the contract's section 5.
    public let body: String
    /// Unix milliseconds when it was published, nil before.
    public let publishedAt: Int64?

    public init(
        seq: Int64, eventID: String, eventType: String, taskID: String?, traceID: String?,
        createdAt: Int64, body: String, publishedAt: Int64? = nil
    ) {
        self.seq = seq
        self.eventID = eventID
        self.eventType = eventType
        self.taskID = taskID
        self.traceID = traceID
        self.createdAt = createdAt
        self.body = body
        self.publishedAt = publishedAt
    }
}
