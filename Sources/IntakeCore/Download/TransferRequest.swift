/// A download waiting for, or holding, a slot on the transfer engine.
struct TransferRequest: Sendable {
    /// Distinguishes requests for cancellation.
    let id: UInt64
    let url: String
    /// `host:port`, the unit of `download.per_host`.
    let hostKey: String
    let partial: PartialDownload
    let continuation: CheckedContinuation<TransferResult, Never>
}

/// How a transfer ended, as the engine hands it back to `Downloader.fetch`.
enum TransferResult: Sendable {
    case body(CompletedBody)
    case failed(DownloadFailure)
}

/// A body received whole, in memory or still under its temporary name, not yet synced.
struct CompletedBody: Sendable {
    /// The bytes: in memory, or in the partial file whose open descriptor the receiver
    /// closes.
    let content: PendingOriginal.Content
    /// Bytes of the downloader's memory budget the body holds; the receiver releases them.
    let reservedBytes: Int
    let sha256: String
    let bytes: Int64
    let mimeType: String
    let finalURL: String
    let httpStatus: Int
    let resumedFromBytes: Int64
    /// True when a validator file beside the body has to be removed once it is stored.
    let hasValidator: Bool
}
