import Foundation

/// The metadata stage's worker: MIME type, sizes and EXIF of the stored original, recorded
/// with the task and reported in `image.metadata_extracted`.
public struct MetadataStage: Sendable {
    let inspector: ImageInspector
    /// Where each result is also kept for the analysis stage.
    let recent: RecentMetadata?

    public init(inspector: ImageInspector, recent: RecentMetadata? = nil) {
        self.inspector = inspector
        self.recent = recent
    }

    /// Runs one attempt of `job`.
    public func handle(_ job: ClaimedJob) async -> StageOutcome? {
        guard let path = job.storePath else {
            return .failed(.permanent("unreadable", "task \(job.taskID) has no stored original"))
        }
        let inspector = self.inspector
        let recent = self.recent
        return await Blocking.run {
            do {
                let metadata = try inspector.metadata(of: path)
                recent?.keep(metadata)
                let payload = try JSONValueEncoder.encode(metadata)
                return .succeeded(
                    StageResult(
                        payload: payload,
                        record: .metadata(sha256: metadata.sha256, json: payload.text())))
            } catch let error as ImageError {
                return .failed(ImageFailures.failure(error))
            } catch {
                return .failed(.transient("internal_error", "\(path): \(error)"))
            }
        }
    }
}
