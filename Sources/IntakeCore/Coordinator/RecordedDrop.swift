/// A drop as recorded: its row id, trace id and the ids of its tasks, in the drop's order.
public struct RecordedDrop: Sendable, Equatable {
    public let dropID: Int64
    public let traceID: String
    public let taskIDs: [String]
}
