/// A complete body on its way into the store: its bytes (in memory, or in an open file under
/// `store/tmp`) and what was computed while they arrived.
struct PendingOriginal: Sendable {
    /// Where the bytes are.
    enum Content: Sendable {
        /// A small body held in memory; the store writes it to an unnamed file.
        case memory([UInt8])
        /// A body written to the named file `path` under `store/tmp`, open as `descriptor`;
        /// the store closes the descriptor.
        case file(descriptor: Int32, path: String)
    }

    let content: Content
    let sha256: String
    let bytes: Int64
    let mimeType: String
}
