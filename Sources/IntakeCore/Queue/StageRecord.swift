/// What a stage learnt about an image, stored by the coordinator in the same transaction as
/// the stage's completion (table `images`, one row per content).
public enum StageRecord: Sendable, Equatable {
    /// The metadata stage's result, as the JSON of `ImageMetadata`.
    case metadata(sha256: String, json: String)
    /// The analysis stage's result, as the JSON of `ImageAnalysis`, with its pHash.
    case analysis(sha256: String, json: String, phash: UInt64, thumbnailPath: String?)
}
