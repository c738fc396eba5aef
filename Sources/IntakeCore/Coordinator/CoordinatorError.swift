/// A request the coordinator refuses: a transition its state machine does not allow, or a task
/// that does not exist.
public struct CoordinatorError: CodedError {
    public let code: String
    public let message: String

    static func illegal(
        task: String, stage: TaskStage, state: TaskState, event: TaskEvent
    ) -> CoordinatorError {
        CoordinatorError(
            code: "illegal_transition",
            message: "task \(task) cannot take '\(event.rawValue)' at \(stage.rawValue)/"
                + "\(state.rawValue)")
    }

    static func unknownTask(_ id: String) -> CoordinatorError {
        CoordinatorError(code: "unknown_task", message: "no task has the id \(id)")
    }
}
