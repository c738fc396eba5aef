import CSystem
import Foundation

/// The kind of file system a path lives on, from `statfs(2)`'s `f_type` magic numbers
/// (listed in statfs(2) and linux/magic.h), and whether inotify sees every change there.
public struct FileSystemKind: Sendable, Equatable {
    public let magic: Int64
    public let name: String
    /// False where changes can come from elsewhere without the kernel knowing: network file
    /// systems, FUSE, and overlay mounts whose lower layers change underneath.
    public let inotifySeesAllChanges: Bool

    static let known: [Int64: (String, Bool)] = [
        0xEF53: ("ext4", true), 0x5846_5342: ("xfs", true), 0x9123_683E: ("btrfs", true),
        0x0102_1994: ("tmpfs", true), 0x2FC1_2FC1: ("zfs", true), 0xF2F5_2010: ("f2fs", true),
        0x6969: ("nfs", false), 0x517B: ("smb", false), 0xFF53_4D42: ("cifs", false),
        0xFE53_4D42: ("smb2", false), 0x6573_5546: ("fuse", false),
        0x794C_7630: ("overlay", false), 0x0BD0_0BD0: ("lustre", false),
        0x0102_1997: ("9p", false), 0x7461_636F: ("ocfs2", false),
    ]

    /// The file system of `path`, or nil when `statfs` fails.
    public static func of(path: String) -> FileSystemKind? {
        var type: Int64 = 0
        guard intake_statfs_type(path, &type) == 0 else { return nil }
        let magic = Int64(UInt32(truncatingIfNeeded: type))
        let (name, local) = known[magic] ?? (String(format: "type 0x%llx", magic), true)
        return FileSystemKind(magic: magic, name: name, inotifySeesAllChanges: local)
    }
}
