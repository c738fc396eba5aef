/// `intake run`: the daemon, in the foreground.
enum RunCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "run", summary: "start the daemon in the foreground (systemd-friendly)",
        discussion: """
            Takes the home's lock (a second daemon on the same home refuses to start), creates
            what is missing, and runs until SIGTERM or SIGINT, then exits 0. SIGHUP reads the
            configuration again: log.level, analysis.command, command_timeout_s, max_pixels,
            thumbnail_px, plugins.timeout_s and max_attempts apply at once, other changes are
            logged as waiting for a restart. Logs go to standard error, as text or JSON lines
            ([log] in intake.toml).
            """)

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let configuration = try invocation.loadConfiguration()
        let logger = Logger(level: configuration.log.level, format: configuration.log.format)
        let daemon = Daemon(
            home: invocation.home, configuration: configuration, logger: logger,
            configurationFile: invocation.configurationFile)
        return try daemon.run()
    }
}
