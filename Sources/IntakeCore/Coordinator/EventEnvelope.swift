/// One event exactly as the contract's section 5 shapes it: the JSON written to the outbox and
/// then, unchanged, to the spool.
public struct EventEnvelope: Sendable, Codable, Equatable {
    /// Unique and time-ordered (UUIDv7).
    public let eventId: String
    public let eventType: String
    /// Absent for events about no task.
    public let taskId: String?
    public let traceId: String
    /// Unix time in milliseconds.
    public let timestamp: Int64
    /// The component that published it, such as `intake/download`.
    public let source: String
    public let payload: JSONValue

    public init(
        eventType: String, taskId: String?, traceId: String, source: String, payload: JSONValue,
        timestamp: Int64 = Clock.nowMillis()
    ) {
        self.eventId = Identifier.uuidV7(millis: timestamp)
        self.eventType = eventType
        self.taskId = taskId
        self.traceId = traceId
        self.timestamp = timestamp
        self.source = source
        self.payload = payload
    }

    /// The envelope as compact JSON with sorted keys.
    public func json() -> String {
        var members: [String: JSONValue] = [
            "eventId": .string(eventId), "eventType": .string(eventType),
            "traceId": .string(traceId), "timestamp": .int(timestamp), "source": .string(source),
            "payload": payload,
        ]
        if let taskId { members["taskId"] = .string(taskId) }
        return JSONWriter.text(.object(members))
    }
}
