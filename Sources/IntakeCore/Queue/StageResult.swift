/// What a stage produced: the payload of its milestone event and what the task keeps.
public struct StageResult: Sendable {
    /// The payload of the stage's milestone event (`image.downloaded`, ...).
    public let payload: JSONValue
    /// The content's SHA-256, once known (download sets it).
    public let sha256: String?
    /// The original's path in the store, once known.
    public let storePath: String?
    /// The task id of the first task with the same content, for duplicates.
    public let duplicateOf: String?
    /// True when the task is finished after this stage (a duplicate that is skipped).
    public let finishesTask: Bool
    /// What the stage learnt, to store with its completion.
    public let record: StageRecord?

    public init(
        payload: JSONValue, sha256: String? = nil, storePath: String? = nil,
        duplicateOf: String? = nil, finishesTask: Bool = false, record: StageRecord? = nil
    ) {
        self.payload = payload
        self.sha256 = sha256
        self.storePath = storePath
        self.duplicateOf = duplicateOf
        self.finishesTask = finishesTask
        self.record = record
    }
}
