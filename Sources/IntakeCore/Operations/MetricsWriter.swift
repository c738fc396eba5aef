import Foundation

/// Renders metric families in the Prometheus text exposition format (version 0.0.4, the format
/// node_exporter's text-file collector reads) and writes them to `HOME/metrics.prom` so that
/// no reader ever sees half a file.
///
/// The format: https://prometheus.io/docs/instrumenting/exposition_formats/
public enum MetricsWriter {
    /// The metrics file of `home`.
    public static func path(in home: Home) -> String { home.root + "/metrics.prom" }

    /// The whole text for `families`: for each, `# HELP` and `# TYPE` lines, then its samples.
    public static func render(_ families: [MetricFamily]) -> String {
        var text = ""
        for family in families {
            text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                switch sample.value {
                case .number(let value):
                    text += line(family.name, sample.labels, format(value))
                case .histogram(let histogram):
                    let cumulative = histogram.cumulativeCounts
                    for (index, bound) in histogram.upperBounds.enumerated() {
                        text += line(
                            family.name + "_bucket", sample.labels + [.init("le", format(bound))],
                            String(cumulative[index]))
                    }
                    text += line(
                        family.name + "_bucket", sample.labels + [.init("le", "+Inf")],
                        String(histogram.count))
                    text += line(family.name + "_sum", sample.labels, format(histogram.sum))
                    text += line(family.name + "_count", sample.labels, String(histogram.count))
                }
            }
        }
        return text
    }

    /// Writes `text` to `path` atomically: a temporary file in the same folder (a name
    /// node_exporter skips, as it reads only `*.prom`), written, given `mode`, synced with
    /// fsync(2), then renamed over `path` (rename(2) replaces atomically within one file
    /// system).
    public static func write(_ text: String, to path: String, mode: UInt32) throws(OperationsError)
    {
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let descriptor = retrying {
            open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        }
        guard descriptor >= 0 else {
            throw .system(function: "open", path: temporary, errno: errno)
        }
        do throws(OperationsError) {
            try writeAll(Array(text.utf8), to: descriptor, path: temporary)
            // The process umask may have removed bits of `mode` at open(2).
            guard fchmod(descriptor, mode_t(mode)) == 0 else {
                throw .system(function: "fchmod", path: temporary, errno: errno)
            }
            guard retrying({ fsync(descriptor) }) == 0 else {
                throw .system(function: "fsync", path: temporary, errno: errno)
            }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let number = errno
            unlink(temporary)
            throw .system(function: "rename", path: path, errno: number)
        }
    }

    /// Renders `families` and writes them to `path`.
    public static func write(
        _ families: [MetricFamily], to path: String, mode: UInt32
    ) throws(OperationsError) {
        try write(render(families), to: path, mode: mode)
    }

    /// A number as the format writes it: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A label value with `\`, `"` and line feeds escaped.
    static func escapeLabel(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A help text with `\` and line feeds escaped.
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
            of: "\n", with: "\\n")
    }

    private static func line(
        _ name: String, _ labels: [MetricFamily.Label], _ value: String
    ) -> String {
        guard !labels.isEmpty else { return "\(name) \(value)\n" }
        let pairs = labels.map { "\($0.name)=\"\(escapeLabel($0.value))\"" }
        return "\(name){\(pairs.joined(separator: ","))} \(value)\n"
    }

    private static func writeAll(
        _ bytes: [UInt8], to descriptor: Int32, path: String
    ) throws(OperationsError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                retrying {
                    Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                }
            }
            guard written > 0 else {
                throw .system(function: "write", path: path, errno: written < 0 ? errno : EIO)
            }
            offset += written
        }
    }

    private static func retrying<T: BinaryInteger>(_ body: () -> T) -> T {
        var result: T
        repeat {
            result = body()
        } while result == -1 && errno == EINTR
        return result
    }
}
