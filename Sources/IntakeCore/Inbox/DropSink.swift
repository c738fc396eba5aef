/// Where the inbox hands each claimed drop: the coordinator, which turns it into tasks.
///
/// The inbox has already recorded every drop in `drops` with state `claiming` and moved its
/// file into `work/`. An implementation must, in one database transaction for the whole batch,
/// create each drop's tasks and call `DropLedger.markClaimed(_:in:)` for it. That single
/// transaction is what makes a drop become tasks exactly once: if the process dies before it
/// commits, the drop is still `claiming` and the inbox hands it over again at the next start;
/// after it commits, the inbox never hands it over again.
///
/// `record` is called from the inbox's own thread, one batch at a time. A throw leaves the
/// whole batch `claiming`; the inbox retries it later.
public protocol DropSink: Sendable {
    /// Creates the tasks of `drops` and marks them claimed, all in one transaction.
    func record(_ drops: [ClaimedDrop]) throws
}

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

/// Why a drop cannot be used: the code and message of its failed task and of its
/// `NAME.error.json` in `rejected/`.
public struct DropRejection: CodedError, Equatable, Codable {
    /// A stable short code: `unsupported_type`, `too_large`, `empty_drop`, `unreadable`.
    public let code: String
    /// A sentence naming the file and what is wrong with it.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
