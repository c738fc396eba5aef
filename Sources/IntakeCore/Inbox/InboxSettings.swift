/// What the inbox needs from the configuration: `[inbox]`, plus the image size limit of
/// `[download]`.
public struct InboxSettings: Sendable, Equatable {
    /// How long a file must stay unchanged (size and mtime) before it is taken.
    public var settleMillis: Int
    /// How often the whole tree is rescanned.
    public var rescanSeconds: Int
    /// Extra globs of names never taken.
    public var ignore: [String]
    /// Whether subfolders are watched and scanned.
    public var recursive: Bool
    /// The most tasks one URL list may make.
    public var maxURLs: Int
    /// The largest image file taken.
    public var maxImageBytes: Int64

    public init(
        settleMillis: Int = 300, rescanSeconds: Int = 60, ignore: [String] = [],
        recursive: Bool = true, maxURLs: Int = 1_000_000, maxImageBytes: Int64 = 200 << 20
    ) {
        self.settleMillis = settleMillis
        self.rescanSeconds = rescanSeconds
        self.ignore = ignore
        self.recursive = recursive
        self.maxURLs = maxURLs
        self.maxImageBytes = maxImageBytes
    }

    /// The settings of `configuration`.
    public init(_ configuration: Configuration) {
        self.init(
            settleMillis: configuration.inbox.settleMillis,
            rescanSeconds: configuration.inbox.rescanSeconds,
            ignore: configuration.inbox.ignore, recursive: configuration.inbox.recursive,
            maxURLs: configuration.inbox.maxURLs,
            maxImageBytes: configuration.download.maxBytes)
    }
}
