import Foundation

/// `intake init`: creates the home folder's layout and a commented `intake.toml`.
enum InitCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "init", summary: "create the home folder and a commented intake.toml",
        discussion: """
            Creates whatever is missing and leaves what exists alone, so running it twice is
            safe. An existing intake.toml is checked, never overwritten.
            """)

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let home = invocation.home
        let configuration = try invocation.loadConfiguration()
        let created = try home.createLayout(folderMode: configuration.files.folderMode)
        var wroteConfiguration = false
        if invocation.configurationFile == nil,
            !FileManager.default.fileExists(atPath: home.configuration)
        {
            try ConfigurationTemplate.write(
                to: home.configuration, mode: configuration.files.fileMode)
            wroteConfiguration = true
        }
        let output = invocation.output
        output.line("home \(home.root)")
        output.line(
            created.isEmpty
                ? "folders: all present" : "folders: created \(created.count)")
        output.line(
            wroteConfiguration
                ? "configuration: wrote \(home.configuration)"
                : "configuration: kept \(invocation.configurationFile ?? home.configuration)")
        return .success
    }
}
