/// The list of commands `intake` knows, in the order `intake --help` shows them.
public enum CommandRegistry {
    public static var commands: [any IntakeCommand.Type] {
        [
            RunCommand.self,
            InitCommand.self,
            StatusCommand.self,
            AddCommand.self,
            WaitCommand.self,
            TasksCommand.self,
            ShowCommand.self,
            RetryCommand.self,
            SimilarCommand.self,
            DoctorCommand.self,
            InspectCommand.self,
            EventsCommand.self,
            SubscribeCommand.self,
            UnsubscribeCommand.self,
            PluginsCommand.self,
        ]
    }

    public static func command(named name: String) -> (any IntakeCommand.Type)? {
        commands.first { $0.spec.name == name }
    }

    /// `intake --help`.
    public static var overview: String {
        var text = "usage: intake COMMAND [options]\n\n"
        text += "intake watches an inbox folder and turns every image dropped there into a task\n"
        text += "that is downloaded, described and analysed, publishing events for plugins.\n\n"
        text += "commands:\n"
        let width = (commands.map { $0.spec.name.count }.max() ?? 0) + 4
        for command in commands {
            let name = command.spec.name.padding(toLength: width, withPad: " ", startingAt: 0)
            text += "  \(name)\(command.spec.summary)\n"
        }
        text += "\n'intake COMMAND --help' describes a command; 'intake --version' its version.\n"
        text += "Every command takes --home DIR (default: $INTAKE_HOME, else\n"
        text += "$XDG_DATA_HOME/intake, else ~/.local/share/intake).\n"
        return text
    }
}
