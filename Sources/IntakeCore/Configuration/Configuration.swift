import Foundation

/// Every setting of intake, with the defaults the contract gives. `intake.toml` overrides
/// them key by key; `ConfigurationLoader` reads it.
public struct Configuration: Sendable, Equatable {
    /// `[inbox]`: how drops are found.
    public struct Inbox: Sendable, Equatable {
        public var settleMillis = 300
        public var rescanSeconds = 60
        public var ignore: [String] = []
        public var recursive = true
        public var maxURLs = 1_000_000
    }

    /// `[download]`: how originals are fetched.
    public struct Download: Sendable, Equatable {
        public var concurrency = 8
        public var perHost = 2
        public var connectTimeoutSeconds = 10
        public var timeoutSeconds = 300
        public var lowSpeedBytesPerSecond = 1024
        public var lowSpeedSeconds = 30
        public var maxBytes: Int64 = 200 * 1024 * 1024
        public var maxRedirects = 5
        public var maxAttempts = 6
        public var userAgent = "intake/\(Version.current)"
        public var allowPrivateAddresses = false
    }

    /// `[metadata]`: the metadata stage.
    public struct Metadata: Sendable, Equatable {
        public var concurrency = 2
        public var maxAttempts = 3
    }

    /// `[analysis]`: the analysis stage.
    public struct Analysis: Sendable, Equatable {
        /// Analysis jobs at once; 0 means `workers`' choice for this machine.
        public var concurrency = 0
        public var maxAttempts = 3
        public var nearDuplicateBits = 8
        public var thumbnailPixels = 256
        public var maxPixels = 100_000_000
        public var command: [String] = []
        public var commandTimeoutSeconds = 60

        /// The analysis workers to run: `concurrency`, or for 0 one more than the processor
        /// cores. Decoding keeps a core busy per worker, and the extra worker covers the time
        /// each one spends between two images (recording the outcome, claiming the next job):
        /// measured on 2 cores over 1,000 JPEGs, 3 workers took 7.2-8.4 s against 7.1-9.5 s
        /// (means 7.8 and 8.5 s over five runs each) for 2.
        public var workers: Int {
            concurrency > 0 ? concurrency : ProcessInfo.processInfo.activeProcessorCount + 1
        }
    }

    /// `[store]`: the content-addressed store.
    public struct Store: Sendable, Equatable {
        /// What happens to content already in the store.
        public enum Duplicates: String, Sendable, CaseIterable {
            case skip, reprocess
        }
        public var duplicates = Duplicates.skip
    }

    /// `[plugins]`: the plugin runner.
    public struct Plugins: Sendable, Equatable {
        public var timeoutSeconds = 60
        public var maxAttempts = 5
        public var concurrency = 4
    }

    /// `[spool]`: the event spool.
    public struct Spool: Sendable, Equatable {
        public var retentionDays = 14
    }

    /// `[log]`: what the daemon writes to standard error.
    public struct Log: Sendable, Equatable {
        public var level = Logger.Level.info
        public var format = Logger.Format.text
    }

    /// `[files]`: permissions of what intake creates under the home, and the free space below
    /// which it pauses taking work.
    public struct Files: Sendable, Equatable {
        public var fileMode: UInt32 = 0o600
        public var folderMode: UInt32 = 0o700
        public var minFreeMegabytes = 64
    }

    public var inbox = Inbox()
    public var download = Download()
    public var metadata = Metadata()
    public var analysis = Analysis()
    public var store = Store()
    public var plugins = Plugins()
    public var spool = Spool()
    public var log = Log()
    public var files = Files()

    /// The built-in defaults.
    public init() {}
}
