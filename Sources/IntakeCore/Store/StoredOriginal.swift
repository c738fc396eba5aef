/// An original in the content-addressed store, as the download stage reports it.
public struct StoredOriginal: Sendable, Equatable {
    /// The content's SHA-256, lowercase hex; it names the file.
    public let sha256: String
    /// The content's size in bytes.
    public let bytes: Int64
    /// The absolute path of the original: `store/originals/aa/bb/<sha256>.<ext>`.
    public let storePath: String
    /// The MIME type libmagic gave the content, such as `image/jpeg`.
    public let mimeType: String
    /// True when the same content was already at `storePath` before this call: the caller
    /// treats the task as a duplicate of the task that stored it first.
    public let wasAlreadyStored: Bool

    public init(
        sha256: String, bytes: Int64, storePath: String, mimeType: String, wasAlreadyStored: Bool
    ) {
        self.sha256 = sha256
        self.bytes = bytes
        self.storePath = storePath
        self.mimeType = mimeType
        self.wasAlreadyStored = wasAlreadyStored
    }
}
