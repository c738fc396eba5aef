/// Placeholder entry point, replaced by the command frame.
public enum IntakeCommandLine {
    public static func main(_ arguments: [String]) -> ExitStatus { .success }
}
