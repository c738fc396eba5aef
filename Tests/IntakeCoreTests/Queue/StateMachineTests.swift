import Testing

@testable import IntakeCore

@Suite("Coordinator state machine")
struct StateMachineTests {
    typealias Place = (stage: TaskStage, state: TaskState)

    /// Every allowed transition, written out by hand (not derived from the table under test).
    static let allowed: [(TaskStage, TaskState, TaskEvent, TaskStage, TaskState)] = {
        var rows: [(TaskStage, TaskState, TaskEvent, TaskStage, TaskState)] = []
        for stage in [TaskStage.download, .metadata, .analysis] {
            rows.append((stage, .queued, .claimed, stage, .running))
            rows.append((stage, .retrying, .claimed, stage, .running))
            rows.append((stage, .running, .failedTransiently, stage, .retrying))
            rows.append((stage, .running, .failedPermanently, stage, .failed))
            rows.append((stage, .queued, .failedPermanently, stage, .failed))
            rows.append((stage, .retrying, .failedPermanently, stage, .failed))
            rows.append((stage, .running, .released, stage, .queued))
            rows.append((stage, .running, .finishedEarly, .done, .completed))
            rows.append((stage, .failed, .retried, stage, .queued))
        }
        rows.append((.download, .running, .stageSucceeded, .metadata, .queued))
        rows.append((.metadata, .running, .stageSucceeded, .analysis, .queued))
        rows.append((.analysis, .running, .stageSucceeded, .done, .completed))
        return rows
    }()

    @Test("every (stage, state, event) goes exactly where the table says, or nowhere")
    func everyTransition() {
        var checked = 0
        for stage in TaskStage.allCases {
            for state in TaskState.allCases {
                for event in TaskEvent.allCases {
                    let expected = Self.allowed.first {
                        $0.0 == stage && $0.1 == state && $0.2 == event
                    }
                    let actual = StateMachine.next(stage: stage, state: state, event: event)
                    if let expected {
                        #expect(
                            actual?.stage == expected.3 && actual?.state == expected.4,
                            "\(stage)/\(state) --\(event)-->")
                    } else {
                        #expect(actual == nil, "\(stage)/\(state) --\(event)--> must be refused")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 4 * 5 * 7)
    }

    @Test("a completed task never moves again")
    func completedIsFinal() {
        for event in TaskEvent.allCases {
            #expect(StateMachine.next(stage: .done, state: .completed, event: event) == nil)
        }
    }
}
