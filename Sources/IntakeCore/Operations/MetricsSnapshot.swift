/// What intake reports to Prometheus at one moment, and the metric families it becomes.
///
/// `MetricsCollector` fills it from the database, the spool and the daemon's own counters;
/// `families` names every metric (the README lists them with their meaning).
public struct MetricsSnapshot: Sendable, Equatable {
    /// Tasks at one stage in one state.
    public struct TaskCount: Sendable, Equatable {
        public var stage: String
        public var state: String
        public var count: Int64

        public init(stage: String, state: String, count: Int64) {
            self.stage = stage
            self.state = state
            self.count = count
        }
    }

    /// Jobs of one queue in one state (`ready`, `retrying`, `leased`).
    public struct QueueDepth: Sendable, Equatable {
        public var queue: String
        public var state: String
        public var count: Int64

        public init(queue: String, state: String, count: Int64) {
            self.queue = queue
            self.state = state
            self.count = count
        }
    }

    /// How long runs of one stage took, by how they ended.
    public struct StageDuration: Sendable, Equatable {
        public var stage: String
        /// `succeeded`, `retried`, `failed` or `released` (put back unfinished at shutdown).
        public var outcome: String
        public var seconds: Histogram

        public init(stage: String, outcome: String, seconds: Histogram) {
            self.stage = stage
            self.outcome = outcome
            self.seconds = seconds
        }
    }

    /// One subscriber of the spool: its backlog, and its plugin's counters when a plugin
    /// serves it.
    public struct SubscriberCounts: Sendable, Equatable {
        public var name: String
        /// Events waiting in its `new/` folder.
        public var backlog: Int64
        /// The plugin runner's counters, nil for a subscriber without a plugin.
        public var plugin: PluginStats?

        public init(name: String, backlog: Int64, plugin: PluginStats?) {
            self.name = name
            self.backlog = backlog
            self.plugin = plugin
        }
    }

    public var tasks: [TaskCount] = []
    public var queues: [QueueDepth] = []
    /// Events handed to the spool since the database was created.
    public var eventsPublished: Int64 = 0
    /// Events committed to the outbox and not yet in the spool.
    public var eventsUnpublished: Int64 = 0
    public var stageDurations: [StageDuration] = []
    /// Bytes the download stage received since the daemon started.
    public var downloadedBytes: Int64 = 0
    public var subscribers: [SubscriberCounts] = []
    /// Whether the daemon holds new work back (disk full, for example).
    public var paused = false
    /// Bytes still free for intake on the home's file system, nil when unknown.
    public var diskFreeBytes: Int64?

    public init() {}

    /// The snapshot as metric families, in a fixed order.
    public var families: [MetricFamily] {
        typealias Label = MetricFamily.Label
        typealias Sample = MetricFamily.Sample
        let plugins = subscribers.compactMap { subscriber in
            subscriber.plugin.map { (name: subscriber.name, stats: $0) }
        }
        var families = [
            MetricFamily(
                name: "intake_tasks", help: "Tasks by stage and state.", kind: .gauge,
                samples: tasks.map {
                    Sample([Label("stage", $0.stage), Label("state", $0.state)], $0.count)
                }),
            MetricFamily(
                name: "intake_queue_jobs",
                help: "Jobs waiting (ready, retrying) or being worked on (leased), by queue.",
                kind: .gauge,
                samples: queues.map {
                    Sample([Label("queue", $0.queue), Label("state", $0.state)], $0.count)
                }),
            MetricFamily(
                name: "intake_events_published_total",
                help: "Events published into the spool.", kind: .counter,
                samples: [Sample([], eventsPublished)]),
            MetricFamily(
                name: "intake_events_unpublished",
                help: "Events committed to the outbox and not yet published.", kind: .gauge,
                samples: [Sample([], eventsUnpublished)]),
            MetricFamily(
                name: "intake_stage_duration_seconds",
                help: "How long runs of a stage took, by how they ended.", kind: .histogram,
                samples: stageDurations.map {
                    Sample(
                        labels: [Label("stage", $0.stage), Label("outcome", $0.outcome)],
                        value: .histogram($0.seconds))
                }),
            MetricFamily(
                name: "intake_downloaded_bytes_total",
                help: "Bytes received by the download stage since the daemon started.",
                kind: .counter, samples: [Sample([], downloadedBytes)]),
            MetricFamily(
                name: "intake_subscriber_backlog",
                help: "Events waiting in a subscriber's new/ folder.", kind: .gauge,
                samples: subscribers.map { Sample([Label("subscriber", $0.name)], $0.backlog) }),
            MetricFamily(
                name: "intake_plugin_runs_total", help: "Runs of a plugin, retries included.",
                kind: .counter,
                samples: plugins.map { Sample([Label("plugin", $0.name)], Int64($0.stats.runs)) }),
            MetricFamily(
                name: "intake_plugin_failures_total",
                help: "Runs of a plugin that did not exit with status 0.", kind: .counter,
                samples: plugins.map {
                    Sample([Label("plugin", $0.name)], Int64($0.stats.failures))
                }),
            MetricFamily(
                name: "intake_plugin_gave_up_total",
                help: "Events a plugin's subscriber gave up on (moved to failed/).",
                kind: .counter,
                samples: plugins.map {
                    Sample([Label("plugin", $0.name)], Int64($0.stats.gaveUp))
                }),
            MetricFamily(
                name: "intake_paused",
                help: "1 while the daemon holds new work back (for example on a full disk).",
                kind: .gauge, samples: [Sample([], paused ? 1 : 0)]),
        ]
        if let diskFreeBytes {
            families.append(
                MetricFamily(
                    name: "intake_disk_free_bytes",
                    help: "Bytes intake may still write on the home's file system.",
                    kind: .gauge, samples: [Sample([], diskFreeBytes)]))
        }
        return families
    }
}
