import Dispatch

/// Rewrites `HOME/metrics.prom` every `interval`, for Prometheus' node_exporter text-file
/// collector, from a `MetricsCollector` that only this loop's serial queue touches.
final class MetricsLoop: @unchecked Sendable {
    // `collector` and `timer` are only used on `queue`, a serial queue, which makes sharing
    // this object between the daemon's threads safe.
    private let queue = DispatchQueue(label: "intake.metrics")
    private var collector: MetricsCollector?
    private var timer: (any DispatchSourceTimer)?
    private let home: Home
    private let fileMode: UInt32
    private let logger: Logger
    private var failing = false

    /// How often the file is rewritten.
    static let interval: Duration = .seconds(15)

    init(
        home: Home, downloaded: MetricCounter, gate: PauseGate, fileMode: UInt32, logger: Logger
    ) throws {
        self.home = home
        self.fileMode = fileMode
        self.logger = logger
        self.collector = try MetricsCollector(home: home, downloaded: downloaded, gate: gate)
    }

    /// Writes the file now and then every `interval`.
    func start() {
        queue.sync {
            writeNow()
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(
                deadline: .now() + MetricsLoop.interval.timeInterval,
                repeating: MetricsLoop.interval.timeInterval)
            timer.setEventHandler { [weak self] in self?.writeNow() }
            timer.resume()
            self.timer = timer
        }
    }

    /// Writes the file soon, out of turn (the pause gate changed).
    func refresh() {
        queue.async { [weak self] in self?.writeNow() }
    }

    /// Writes the file a last time and stops.
    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
            writeNow()
            collector = nil
        }
    }

    private func writeNow() {
        guard let collector else { return }
        do {
            let snapshot = try collector.collect()
            try MetricsWriter.write(
                snapshot.families, to: MetricsWriter.path(in: home), mode: fileMode)
            if failing {
                logger.info("metrics written again", ("path", MetricsWriter.path(in: home)))
                failing = false
            }
        } catch {
            if !failing {
                logger.warning(
                    "cannot write metrics", ("path", MetricsWriter.path(in: home)),
                    ("error", "\(error)"))
                failing = true
            }
        }
    }
}
