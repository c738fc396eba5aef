/// The version of this build of intake.
public enum Version {
    public static let current = "0.1.0"
}
