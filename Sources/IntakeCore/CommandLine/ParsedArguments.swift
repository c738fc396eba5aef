/// The arguments of one command after parsing: flags, option values and positionals.
public struct ParsedArguments: Sendable {
    public let command: String
    public private(set) var positionals: [String] = []
    private var flags: Set<String> = []
    private var options: [String: [String]] = [:]

    init(command: String) {
        self.command = command
    }

    /// Parses `arguments` against `spec`: `--name value`, `--name=value`, flags, and `--`
    /// ending the options.
    public static func parse(_ arguments: [String], spec: CommandSpec) throws(UsageError)
        -> ParsedArguments
    {
        var parsed = ParsedArguments(command: spec.name)
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" {
                optionsEnded = true
                continue
            }
            var name: String
            if argument.hasPrefix("--") {
                name = String(argument.dropFirst(2))
            } else if argument.count == 2,
                let option = spec.options.first(where: { $0.short == argument.last })
            {
                name = option.name
            } else {
                throw UsageError("unknown option \(argument)", command: spec.name)
            }
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let option = spec.options.first(where: { $0.name == name }) else {
                throw UsageError("unknown option --\(name)", command: spec.name)
            }
            if option.valueName == nil {
                guard inlineValue == nil else {
                    throw UsageError("--\(name) takes no value", command: spec.name)
                }
                parsed.flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else if index < arguments.count {
                value = arguments[index]
                index += 1
            } else {
                throw UsageError(
                    "--\(name) needs a value (\(option.valueName ?? "VALUE"))", command: spec.name)
            }
            if parsed.options[name] != nil && !option.repeatable {
                throw UsageError("--\(name) is given twice", command: spec.name)
            }
            parsed.options[name, default: []].append(value)
        }
        if parsed.flags.contains("help") { return parsed }
        guard spec.positionals.contains(parsed.positionals.count) else {
            let expected = spec.synopsis.isEmpty ? "no arguments" : spec.synopsis
            if parsed.positionals.count > spec.positionals.upperBound {
                throw UsageError(
                    "unexpected argument '\(parsed.positionals[spec.positionals.upperBound])' "
                        + "(expected \(expected))", command: spec.name)
            }
            throw UsageError("missing argument (expected \(expected))", command: spec.name)
        }
        return parsed
    }

    public func flag(_ name: String) -> Bool { flags.contains(name) }

    /// The last value of an option, or nil.
    public func value(_ name: String) -> String? { options[name]?.last }

    /// Every value of a repeatable option.
    public func values(_ name: String) -> [String] { options[name] ?? [] }

    /// The value of an integer option, checked against `range`.
    public func int(_ name: String, in range: ClosedRange<Int>) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError(
                "--\(name) takes a whole number from \(range.lowerBound) to \(range.upperBound)",
                command: command)
        }
        return number
    }

    /// The value of a number option in seconds (fractions allowed), checked against `range`.
    public func seconds(_ name: String, in range: ClosedRange<Double>) throws(UsageError)
        -> Double?
    {
        guard let text = value(name) else { return nil }
        guard let number = Double(text), range.contains(number) else {
            throw UsageError(
                "--\(name) takes a number of seconds from \(range.lowerBound) to "
                    + "\(range.upperBound)", command: command)
        }
        return number
    }
}
