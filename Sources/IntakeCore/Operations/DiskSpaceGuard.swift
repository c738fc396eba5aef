/// Closes a `PauseGate` while the home's file system is (nearly) full and opens it again once
/// there is room, so that intake holds new drops and jobs back instead of failing them.
///
/// The daemon calls `check()` now and then (every few seconds) and `noteFailure(_:)` with
/// each error a stage or the inbox hit; a failure that `DiskSpace.isDiskFull` recognises
/// pauses at once, and the next `check()` that finds `minimumFreeBytes` free resumes.
/// The guard only reopens a gate it closed itself.
public struct DiskSpaceGuard: Sendable {
    /// A folder on the file system to watch (the home).
    public let path: String
    /// Below this many free bytes, new work waits.
    public let minimumFreeBytes: UInt64
    public let gate: PauseGate

    /// How every reason this guard gives starts, so that it reopens only its own pauses.
    static let reasonPrefix = "disk full: "

    public init(path: String, minimumFreeBytes: UInt64, gate: PauseGate) {
        self.path = path
        self.minimumFreeBytes = minimumFreeBytes
        self.gate = gate
    }

    /// Measures the free space, pauses or resumes the gate accordingly, and returns the free
    /// bytes. A failure to measure leaves the gate as it is.
    @discardableResult
    public func check() throws(OperationsError) -> UInt64 {
        let free = try DiskSpace.freeBytes(at: path)
        if free < minimumFreeBytes {
            gate.pause(
                reason: DiskSpaceGuard.reasonPrefix
                    + "\(free) bytes free in \(path), below \(minimumFreeBytes)")
        } else if gate.reason?.hasPrefix(DiskSpaceGuard.reasonPrefix) == true {
            gate.resume()
        }
        return free
    }

    /// Pauses when `error` means the disk is full; returns whether it did.
    @discardableResult
    public func noteFailure(_ error: any Error) -> Bool {
        guard DiskSpace.isDiskFull(error) else { return false }
        let detail = (error as? any CodedError)?.message ?? "\(error)"
        gate.pause(reason: DiskSpaceGuard.reasonPrefix + detail)
        return true
    }
}
