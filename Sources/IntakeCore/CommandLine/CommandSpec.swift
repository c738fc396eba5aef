/// What a command accepts: its name, options and positional arguments, and the help text built
/// from them.
public struct CommandSpec: Sendable {
    public let name: String
    /// The positional part of the usage line, such as `FILE...`.
    public let synopsis: String
    /// One line for `intake --help`.
    public let summary: String
    /// A paragraph for `intake NAME --help`, or empty.
    public let discussion: String
    public let options: [OptionSpec]
    /// How many positional arguments are allowed.
    public let positionals: ClosedRange<Int>

    public init(
        name: String, synopsis: String = "", summary: String, discussion: String = "",
        options: [OptionSpec] = [], positionals: ClosedRange<Int> = 0...0
    ) {
        self.name = name
        self.synopsis = synopsis
        self.summary = summary
        self.discussion = discussion
        self.options = options + OptionSpec.common
        self.positionals = positionals
    }

    /// `intake NAME --help`.
    public var help: String {
        var text = "usage: intake \(name)"
        if !options.isEmpty { text += " [options]" }
        if !synopsis.isEmpty { text += " \(synopsis)" }
        text += "\n\n\(summary)\n"
        if !discussion.isEmpty { text += "\n\(discussion)\n" }
        text += "\noptions:\n"
        let labels = options.map { option in
            let alias = option.short.map { "-\($0), " } ?? ""
            return "  \(alias)--\(option.name)" + (option.valueName.map { " \($0)" } ?? "")
        }
        let width = (labels.map(\.count).max() ?? 0) + 2
        for (label, option) in zip(labels, options) {
            text += label.padding(toLength: width, withPad: " ", startingAt: 0) + option.help + "\n"
        }
        return text
    }
}
