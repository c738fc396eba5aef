/// A configuration file that cannot be used: it names the file, the line and the key.
public struct ConfigurationError: CodedError {
    public let file: String
    public let line: Int
    /// `table.key`, or empty for a syntax error outside any key.
    public let key: String
    public let reason: String

    public var code: String { "config_invalid" }

    public var message: String {
        let place = line > 0 ? "\(file):\(line)" : file
        return key.isEmpty ? "\(place): \(reason)" : "\(place): \(key): \(reason)"
    }
}
