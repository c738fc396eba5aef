import CSystem
import Foundation

/// The kind of file system a folder is on, as `statfs(2)` reports it, and whether inotify sees
/// every change made on it.
///
/// inotify reports changes made through the local kernel only. On network file systems (NFS,
/// SMB/CIFS), on FUSE and on 9p, files written by other machines or by the user-space server
/// raise no event; on overlayfs, changes made in a lower layer raise none. There the periodic
/// rescan (`inbox.rescan_s`) is the only way new files are found.
public struct InboxFileSystem: Sendable, Equatable {
    /// The file system's name (`ext4`, `nfs`, `fuse`), or its magic number in hex.
    public let name: String
    /// The `f_type` magic number from `statfs(2)`.
    public let magic: Int64
    /// False where inotify misses changes.
    public let inotifySeesChanges: Bool

    /// `f_type` values from `statfs(2)` (linux/magic.h) where inotify misses changes.
    static let unreliable: [Int64: String] = [
        0x6969: "nfs", 0x517B: "smb", 0xFF53_4D42: "cifs", 0xFE53_4D42: "smb2",
        0x6573_5546: "fuse", 0x794C_7630: "overlay", 0x0102_1997: "9p", 0x00C3_6400: "ceph",
        0x6B41_4653: "afs", 0x5346_414F: "afs",
    ]

    /// Local file systems named in messages.
    static let known: [Int64: String] = [
        0xEF53: "ext4", 0x5846_5342: "xfs", 0x9123_683E: "btrfs", 0x0102_1994: "tmpfs",
        0x2FC1_2FC1: "zfs", 0xF2F5_2010: "f2fs",
    ]

    /// The file system of `path`.
    public static func of(path: String) throws(InboxError) -> InboxFileSystem {
        let magic = Int64(intake_statfs_type(path))
        guard magic >= 0 else {
            throw InboxError.system(function: "statfs", path: path, errno: Int32(-magic))
        }
        return InboxFileSystem(magic: magic)
    }

    /// The file system with `f_type` `magic`.
    public init(magic: Int64) {
        self.magic = magic
        if let name = InboxFileSystem.unreliable[magic] {
            self.name = name
            inotifySeesChanges = false
        } else {
            name = InboxFileSystem.known[magic] ?? "0x" + String(magic, radix: 16)
            inotifySeesChanges = true
        }
    }

    /// A warning for `intake doctor` and the start-up log when inotify misses changes on the
    /// file system of `inbox`, nil when it does not.
    public static func warning(forInbox inbox: String, rescanSeconds: Int) -> String? {
        guard let system = try? of(path: inbox), !system.inotifySeesChanges else { return nil }
        return "the inbox \(inbox) is on \(system.name), where inotify misses changes made "
            + "elsewhere; new files there are found only by the rescan every \(rescanSeconds) s "
            + "(inbox.rescan_s)"
    }
}
