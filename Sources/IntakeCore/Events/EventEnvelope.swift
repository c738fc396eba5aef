import Foundation

/// The envelope every event file holds (the contract's section 5), rendered with its keys in
/// the contract's order: `eventId`, `eventType`, `taskId` (absent for events about no task),
/// `traceId`, `timestamp`, `source`, `payload`.
public struct EventEnvelope: Sendable, Equatable {
    public let eventID: String
    public let eventType: String
    public let taskID: String?
    public let traceID: String
    /// Unix milliseconds.
    public let timestamp: Int64
    /// The component that published it, such as `intake/download`.
    public let source: String
    /// The payload, a JSON object as text.
    public let payloadJSON: String

    /// An envelope with a payload already rendered as a JSON object.
    public init(
        eventID: String = Identifier.uuidV7(), eventType: String, taskID: String?,
        traceID: String, timestamp: Int64 = Clock.nowMillis(), source: String,
        payloadJSON: String
    ) {
        self.eventID = eventID
        self.eventType = eventType
        self.taskID = taskID
        self.traceID = traceID
        self.timestamp = timestamp
        self.source = source
        self.payloadJSON = payloadJSON
    }

    /// An envelope whose payload is any `Encodable` value that encodes as a JSON object.
    public init(
        eventID: String = Identifier.uuidV7(), eventType: String, taskID: String?,
        traceID: String, timestamp: Int64 = Clock.nowMillis(), source: String,
        payload: some Encodable
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(payload)
        self.init(
            eventID: eventID, eventType: eventType, taskID: taskID, traceID: traceID,
            timestamp: timestamp, source: source,
            payloadJSON: String(decoding: data, as: UTF8.self))
    }

    /// The envelope as one line of JSON.
    public var json: String {
        var text = "{\"eventId\":\(EventEnvelope.quoted(eventID))"
        text += ",\"eventType\":\(EventEnvelope.quoted(eventType))"
        if let taskID { text += ",\"taskId\":\(EventEnvelope.quoted(taskID))" }
        text += ",\"traceId\":\(EventEnvelope.quoted(traceID))"
        text += ",\"timestamp\":\(timestamp)"
        text += ",\"source\":\(EventEnvelope.quoted(source))"
        text += ",\"payload\":\(payloadJSON)}"
        return text
    }

    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
        var result = ""
        JSONWriter.writeString(text, into: &result)
        return result
    }
}
