/// One `--name` option of a command: a flag, or an option that takes a value.
public struct OptionSpec: Sendable {
    public let name: String
    /// The placeholder of the value (`DIR`, `N`), or nil for a flag.
    public let valueName: String?
    public let help: String
    /// Whether the option may be given more than once.
    public let repeatable: Bool
    /// A one-letter alias (`-f` for `--file`), if any.
    public var short: Character?

    /// A flag such as `--json`.
    public static func flag(_ name: String, _ help: String) -> OptionSpec {
        OptionSpec(name: name, valueName: nil, help: help, repeatable: false, short: nil)
    }

    /// An option with a value, such as `--limit N`.
    public static func value(
        _ name: String, _ valueName: String, _ help: String, repeatable: Bool = false,
        short: Character? = nil
    ) -> OptionSpec {
        OptionSpec(
            name: name, valueName: valueName, help: help, repeatable: repeatable, short: short)
    }

    /// The options every command takes.
    static let common: [OptionSpec] = [
        .value(
            "home", "DIR", "the home folder (default: $INTAKE_HOME, else ~/.local/share/intake)"),
        .value("config", "FILE", "the configuration file (default: HOME/intake.toml)"),
        .flag("help", "show this help"),
    ]

    /// `--json`, for every listing.
    public static let json = OptionSpec.flag("json", "print one JSON document for scripts")
}
