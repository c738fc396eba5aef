/// A part of the daemon that kept failing and was given up (`PartSupervisor`): the daemon
/// stops with a non-zero status and this message.
struct PartFailure: CodedError {
    /// The part's name, such as `inbox`.
    let part: String
    /// Failures in a row, the last one included.
    let failures: Int
    /// The last failure, as logged.
    let last: String

    var code: String { "part_failed" }

    var message: String {
        "the \(part) failed \(failures) times in a row (last: \(last)); fix what the log names "
            + "and start intake again (systemd does so by itself after a failure)"
    }
}
