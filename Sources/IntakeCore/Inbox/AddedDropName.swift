/// The names `intake add` gives the drops it writes into the inbox: `intake-add-<trace id>` and
/// a suffix. The inbox takes the trace id from such a name, so `intake add` can print the trace
/// id of its drop before the daemon has even seen it.
public enum AddedDropName {
    static let prefix = "intake-add-"

    /// The file name for a drop of `intake add` with `traceID`, ending in `suffix`
    /// (`.urls.txt`, or `-` and an image's own name).
    public static func make(traceID: String, suffix: String) -> String {
        prefix + traceID + suffix
    }

    /// The trace id a file name asks for, if it is the name of an `intake add` drop.
    public static func traceID(in name: String) -> String? {
        guard name.hasPrefix(prefix) else { return nil }
        let candidate = name.dropFirst(prefix.count).prefix(32)
        guard candidate.count == 32,
            candidate.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { return nil }
        return String(candidate)
    }
}
