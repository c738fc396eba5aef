/// How a worker's run of one job ended.
public enum StageOutcome: Sendable {
    case succeeded(StageResult)
    case failed(StageFailure)
}
