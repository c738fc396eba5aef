/// A drop to record, with the tasks it becomes: what the inbox and `intake add` hand over.
public struct NewDrop: Sendable {
    /// One task of the drop.
    public struct Task: Sendable {
        /// The URL, or `file://` and the absolute path at which the file was dropped.
        public let source: String
        /// When set, the task fails at once with this error (`invalid_url`,
        /// `unsupported_type`) and never enters a queue.
        public let failure: StageFailure?
        public let priority: Int

        public init(source: String, failure: StageFailure? = nil, priority: Int = 0) {
            self.source = source
            self.failure = failure
            self.priority = priority
        }
    }

    public let traceID: String
    /// Where the drop came from: the dropped file's path, or `intake add`.
    public let origin: String
    /// `image`, `url_list`, `rejected`, or `add`.
    public let kind: String
    /// The claimed file in `work/`, if there is one.
    public let workPath: String?
    public let tasks: [Task]

    public init(
        traceID: String = Identifier.traceID(), origin: String, kind: String, workPath: String?,
        tasks: [Task]
    ) {
        self.traceID = traceID
        self.origin = origin
        self.kind = kind
        self.workPath = workPath
        self.tasks = tasks
    }
}
