/// One metric of the text exposition format: a name, its help text, its type and its samples
/// (one per set of label values).
public struct MetricFamily: Sendable, Equatable {
    /// The three types intake reports.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// The value of one sample.
    public enum Value: Sendable, Equatable {
        case number(Double)
        case histogram(Histogram)
    }

    /// One series of the family: its labels, in the order written, and its value.
    public struct Sample: Sendable, Equatable {
        public let labels: [Label]
        public let value: Value

        public init(labels: [Label] = [], value: Value) {
            self.labels = labels
            self.value = value
        }

        public init(_ labels: [Label] = [], _ number: Int64) {
            self.init(labels: labels, value: .number(Double(number)))
        }
    }

    /// A label name and its value.
    public struct Label: Sendable, Equatable {
        public let name: String
        public let value: String

        public init(_ name: String, _ value: String) {
            precondition(MetricFamily.isLabelName(name), "invalid label name \(name)")
            self.name = name
            self.value = value
        }
    }

    public let name: String
    public let help: String
    public let kind: Kind
    public let samples: [Sample]

    public init(name: String, help: String, kind: Kind, samples: [Sample]) {
        precondition(MetricFamily.isMetricName(name), "invalid metric name \(name)")
        precondition(
            samples.allSatisfy { sample in
                if case .histogram = sample.value { return kind == .histogram }
                return kind != .histogram
            }, "histogram samples belong to histogram families only")
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, the metric names Prometheus accepts.
    static func isMetricName(_ name: String) -> Bool {
        isName(name, extra: UInt8(ascii: ":"))
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with the reserved `__`.
    static func isLabelName(_ name: String) -> Bool {
        isName(name, extra: nil) && !name.hasPrefix("__")
    }

    private static func isName(_ name: String, extra: UInt8?) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                true
            default:
                byte == extra
            }
        }
    }
}
