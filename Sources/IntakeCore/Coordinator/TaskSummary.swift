/// One task as listings show it (`intake tasks`, `intake show`).
public struct TaskSummary: Sendable, Encodable, Equatable {
    /// A failure's code and message.
    public struct Failure: Sendable, Encodable, Equatable {
        public let code: String
        public let message: String
    }

    public let id: String
    public let traceId: String
    public let source: String
    public let stage: String
    public let state: String
    public let attempts: Int
    public let error: Failure?
    public let sha256: String?
    public let storePath: String?
    public let duplicateOf: String?
    public let createdAt: Int64
    public let updatedAt: Int64
    public let finishedAt: Int64?
}
