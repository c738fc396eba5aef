/// The coordinator's state machine: for a task at `stage` in `state`, where `event` takes it.
///
/// The table is the whole truth; the coordinator refuses any transition it does not list.
/// Stages with a queue are `download`, `metadata` and `analysis`; `done` holds only completed
/// tasks, and a completed task never moves again.
public enum StateMachine {
    /// One row of the table: an event allowed in some states, and the state it leads to.
    struct Rule: Sendable {
        let event: TaskEvent
        let from: Set<TaskState>
        let to: @Sendable (TaskStage) -> (TaskStage, TaskState)
    }

    static let rules: [Rule] = [
        Rule(event: .claimed, from: [.queued, .retrying]) { ($0, .running) },
        Rule(event: .stageSucceeded, from: [.running]) { stage in
            stage.next == .done ? (.done, .completed) : (stage.next, .queued)
        },
        Rule(event: .finishedEarly, from: [.running]) { _ in (.done, .completed) },
        Rule(event: .failedTransiently, from: [.running]) { ($0, .retrying) },
        Rule(event: .failedPermanently, from: [.queued, .running, .retrying]) { ($0, .failed) },
        Rule(event: .released, from: [.running]) { ($0, .queued) },
        Rule(event: .retried, from: [.failed]) { ($0, .queued) },
    ]

    /// Where `event` takes a task at `stage` in `state`, or nil when the table forbids it.
    public static func next(
        stage: TaskStage, state: TaskState, event: TaskEvent
    ) -> (stage: TaskStage, state: TaskState)? {
        guard stage != .done else { return nil }
        guard let rule = rules.first(where: { $0.event == event }), rule.from.contains(state)
        else { return nil }
        let (nextStage, nextState) = rule.to(stage)
        return (nextStage, nextState)
    }
}
