import Foundation

/// The analysis stage's worker: decodes the stored original into its feature vector, writes
/// its thumbnail, lists near duplicates already in the store, runs the external analyzer when
/// one is configured, and reports it all in `image.analyzed`.
///
/// A failing or timed-out external analyzer fails the stage like any transient error, so it is
/// retried with backoff up to `analysis.max_attempts`.
public struct AnalysisStage: Sendable {
    let inspector: ImageInspector
    let registry: NearDuplicateRegistry
    /// The metadata stage's results, so that an image is not read for its metadata twice.
    let recent: RecentMetadata?
    let thumbnails: String
    let nearDuplicateBits: Int
    let folderMode: UInt32

    public init(
        inspector: ImageInspector, registry: NearDuplicateRegistry, home: Home,
        configuration: Configuration, recent: RecentMetadata? = nil
    ) {
        self.inspector = inspector
        self.registry = registry
        self.recent = recent
        self.thumbnails = home.thumbnails
        self.nearDuplicateBits = configuration.analysis.nearDuplicateBits
        self.folderMode = configuration.files.folderMode
    }

    /// Runs one attempt of `job`.
    public func handle(_ job: ClaimedJob) async -> StageOutcome? {
        guard let path = job.storePath, let sha256 = job.sha256 else {
            return .failed(.permanent("unreadable", "task \(job.taskID) has no stored original"))
        }
        let stage = self
        return await Blocking.run { stage.analyse(path: path, sha256: sha256) }
    }

    /// Removes what thumbnail writes cut off by a crash left in `store/thumbnails/` (where
    /// they write before renaming into `aa/bb/`); for the daemon's start, before any worker
    /// runs. Returns how many.
    public func removeAbandonedThumbnails() -> Int {
        ImageInspector.removeTemporaries(in: thumbnails)
    }

    /// Adds a committed analysis to the near-duplicate registry.
    public func finished(_ job: ClaimedJob, outcome: StageOutcome, applied: Bool) {
        guard applied, case .succeeded(let result) = outcome,
            case .analysis(let sha256, _, let phash, _) = result.record
        else { return }
        registry.add(sha256: sha256, phash: phash)
    }

    private func analyse(path: String, sha256: String) -> StageOutcome {
        let thumbnail = thumbnailPath(sha256: sha256)
        do {
            try makeParents(of: thumbnail)
            let analysis = try inspector.analysis(
                of: path, metadata: recent?.take(sha256), thumbnailTo: thumbnail,
                scratch: thumbnails)
            guard let phash = PerceptualHash.parse(analysis.phash) else {
                return .failed(.permanent("corrupt_image", "\(path): no perceptual hash"))
            }
            let json = try JSONValueEncoder.encode(analysis).text()
            let near = registry.nearest(to: phash, within: nearDuplicateBits, excluding: sha256)
            var payload: [String: JSONValue] = [
                "sha256": .string(sha256), "phash": .string(analysis.phash),
                "dhash": .string(analysis.dhash), "vectorVersion": .string(analysis.vectorVersion),
                "vectorLength": .int(Int64(analysis.vectorLength)),
                "thumbnailPath": .string(thumbnail),
                "nearDuplicates": .array(
                    near.map { ["sha256": .string($0.id), "distance": .int(Int64($0.distance))] }),
            ]
            if let labels = analysis.labels {
                payload["labels"] = .array(labels.map(JSONValue.string))
            }
            if let embedding = analysis.embedding {
                payload["embeddingLength"] = .int(Int64(embedding.count))
            }
            return .succeeded(
                StageResult(
                    payload: .object(payload),
                    record: .analysis(
                        sha256: sha256, json: json, phash: phash, thumbnailPath: thumbnail)))
        } catch let error as ImageError {
            return .failed(ImageFailures.failure(error))
        } catch let error as AnalysisError {
            return .failed(.transient(error.code, error.message))
        } catch let error as any CodedError {
            return .failed(.transient(error.code, error.message))
        } catch {
            return .failed(.transient("internal_error", "\(path): \(error)"))
        }
    }

    /// `store/thumbnails/aa/bb/<sha256>.webp`.
    func thumbnailPath(sha256: String) -> String {
        "\(thumbnails)/\(sha256.prefix(2))/\(sha256.dropFirst(2).prefix(2))/\(sha256).webp"
    }

    private func makeParents(of path: String) throws(HomeError) {
        let second = (path as NSString).deletingLastPathComponent
        let first = (second as NSString).deletingLastPathComponent
        for folder in [first, second] where mkdir(folder, mode_t(folderMode)) != 0 {
            guard errno == EEXIST else {
                throw HomeError.system(function: "mkdir", path: folder, errno: errno)
            }
        }
    }
}
