/// What one download attempt ended in: the original in the store, or a classified failure.
public enum DownloadOutcome: Sendable, Equatable {
    case stored(DownloadedOriginal)
    case failed(DownloadFailure)
}

/// An original fetched over HTTP(S) and now in the store.
public struct DownloadedOriginal: Sendable, Equatable {
    /// The stored content; `original.wasAlreadyStored` marks a duplicate.
    public let original: StoredOriginal
    /// The URL the content came from after redirects.
    public let finalURL: String
    /// The status of the final response: 200, or 206 when a partial body was resumed.
    public let httpStatus: Int
    /// How many bytes of an earlier attempt's partial body were kept (0 for a full download).
    public let resumedFromBytes: Int64
}
