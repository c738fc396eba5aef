/// The stages of the main flow, in order. `done` is where completed tasks rest.
public enum TaskStage: String, Sendable, CaseIterable, Codable {
    case download, metadata, analysis, done

    /// The stage after this one.
    public var next: TaskStage {
        switch self {
        case .download: .metadata
        case .metadata: .analysis
        case .analysis, .done: .done
        }
    }

    /// The stages that have a queue and workers.
    public static let queued: [TaskStage] = [.download, .metadata, .analysis]

    /// The milestone event published when this stage succeeds.
    public var milestoneEvent: String? {
        switch self {
        case .download: "image.downloaded"
        case .metadata: "image.metadata_extracted"
        case .analysis: "image.analyzed"
        case .done: nil
        }
    }
}
