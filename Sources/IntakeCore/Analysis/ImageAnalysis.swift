/// What the analysis stage records about one image: the fields of the `image.analyzed` event
/// payload, with the same names (the pipeline adds `nearDuplicates` from its index).
public struct ImageAnalysis: Codable, Sendable, Equatable {
    /// 64-bit DCT perceptual hash, 16 lowercase hex digits.
    public var phash: String
    /// 64-bit difference hash, 16 lowercase hex digits.
    public var dhash: String
    /// How the vector was made (`ImageFeatures.version`).
    public var vectorVersion: String
    public var vectorLength: Int
    public var vector: [Double]
    /// Mean red, green and blue, 0 to 1.
    public var meanColor: [Double]
    /// Where the WebP thumbnail was written, when one was asked for.
    public var thumbnailPath: String?
    /// Size of the orientation-corrected picture the features were computed from.
    public var analyzedWidth: Int
    public var analyzedHeight: Int
    /// The external analyzer's labels and embedding, when `analysis.command` is set.
    public var labels: [String]?
    public var embedding: [Double]?
}
