/// A drop that has left the inbox: its file is in `work/` and its row in `drops`.
public struct ClaimedDrop: Sendable, Equatable {
    /// The row id in `drops`.
    public let dropID: Int64
    /// The trace id shared by all of the drop's tasks (32 lowercase hex digits).
    public let traceID: String
    /// `file://` and the absolute path at which the file was dropped: the tasks' `source`.
    public let origin: String
    /// Where the file is now, in `work/`.
    public let workPath: String
    /// What the content turned out to be.
    public let kind: Kind

    /// What a drop is, decided by content.
    public enum Kind: Sendable, Equatable {
        /// An image: one task whose source is the file at `workPath`.
        case image(mimeType: String)
        /// A URL list: one task per distinct valid URL, one failed task per invalid line.
        /// The list file itself is removed from `work/` once the drop is recorded.
        case urlList(URLList)
        /// Not usable: one task failed at once with the rejection's code and message. The file
        /// is moved to `rejected/` once the drop is recorded.
        case rejected(DropRejection)
    }

    public init(dropID: Int64, traceID: String, origin: String, workPath: String, kind: Kind) {
        self.dropID = dropID
        self.traceID = traceID
        self.origin = origin
        self.workPath = workPath
        self.kind = kind
    }

    /// The `drops.kind` value of this drop: `image`, `url_list` or `rejected`.
    public var kindName: String {
        switch kind {
        case .image: "image"
        case .urlList: "url_list"
        case .rejected: "rejected"
        }
    }
}
