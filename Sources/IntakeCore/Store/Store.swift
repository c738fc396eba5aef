import CSystem
import Foundation
import Synchronization

/// The content-addressed store of originals: every original lives at
/// `store/originals/aa/bb/<sha256>.<ext>`, named by its SHA-256 and by the extension of the
/// type libmagic found in it. Files reach that name by an atomic rename on the same file
/// system, after their bytes are synced, so a name in the store always holds complete content.
///
/// `store/tmp/` holds files still being written (downloads, copies across file systems); the
/// download stage keeps a partial body there between attempts.
public final class Store: Sendable {
    /// The store folder (`HOME/store`).
    public let root: String
    /// Mode of the files the store creates.
    public let fileMode: UInt32
    /// Mode of the folders the store creates.
    public let folderMode: UInt32
    /// False only in the download benchmark, to time transfers beside tools that never sync;
    /// intake itself always syncs before the database says an original is stored.
    public let syncs: Bool
    private let magic: Magic
    private let knownFolders = Mutex(Set<String>())

    /// The image types intake takes and the extension each is stored under.
    public static let imageExtensions: [String: String] = [
        "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
        "image/tiff": "tif", "image/heic": "heic", "image/heif": "heif",
        "image/heic-sequence": "heic", "image/heif-sequence": "heif", "image/avif": "avif",
        "image/bmp": "bmp", "image/x-ms-bmp": "bmp",
    ]

    /// A store under `home`, creating files with `fileMode` and folders with `folderMode`.
    public init(
        home: Home, fileMode: UInt32 = 0o600, folderMode: UInt32 = 0o700, syncs: Bool = true
    ) throws(StoreError) {
        self.root = home.store
        self.fileMode = fileMode
        self.folderMode = folderMode
        self.syncs = syncs
        do {
            self.magic = try Magic()
        } catch {
            throw StoreError.unclassifiable(error)
        }
    }

    /// `store/originals`.
    public var originals: String { root + "/originals" }

    /// `store/tmp`: files not yet complete. Nothing here is an original.
    public var temporary: String { root + "/tmp" }

    /// Creates the store's folders where missing.
    public func prepare() throws(StoreError) {
        for folder in [root, originals, temporary] {
            try FileIO.makeFolder(folder, mode: folderMode)
        }
    }

    /// Where content with `sha256` and extension `ext` lives.
    public func originalPath(sha256: String, ext: String) -> String {
        let first = sha256.prefix(2)
        let second = sha256.dropFirst(2).prefix(2)
        return "\(originals)/\(first)/\(second)/\(sha256).\(ext)"
    }

    /// Moves the local file at `path` (a claimed drop) into the store.
    ///
    /// The file is hashed while read and synced; then, on the same file system, it is linked
    /// renamed to its content address, so its bytes are never copied. Across
    /// file systems it is copied into `store/tmp` (hashed in the same pass), synced, linked,
    /// and the source removed. Content already in the store is reported with
    /// `wasAlreadyStored` and the source removed. Content that is not an image throws
    /// `notAnImage` and leaves the source where it is.
    public func ingestLocal(path: String) throws(StoreError) -> StoredOriginal {
        let source = try FileIO.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
        defer { close(source) }
        var status = stat()
        guard fstat(source, &status) == 0 else {
            throw StoreError.system(function: "fstat", path: path, errno: errno)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw StoreError.system(function: "open", path: path, errno: EINVAL)
        }
        var storeStatus = stat()
        guard stat(temporary, &storeStatus) == 0 else {
            throw StoreError.system(function: "stat", path: temporary, errno: errno)
        }

        if status.st_dev == storeStatus.st_dev {
            let digest = try hashAndClassify(source, path: path, copyingTo: nil)
            _ = fchmod(source, mode_t(fileMode))
            if syncs { try FileIO.fsync(source, path: path) }
            return try place(path, digest: digest, from: path)
        }

        let copy = temporary + "/local-" + Identifier.uuidV7() + ".part"
        let target = try FileIO.open(copy, O_WRONLY | O_CREAT | O_EXCL, mode: fileMode)
        do {
            defer { close(target) }
            let digest = try hashAndClassify(source, path: path, copyingTo: (target, copy))
            if syncs { try FileIO.fsync(target, path: copy) }
            let stored = try place(copy, digest: digest, from: path)
            FileIO.remove(path)
            return stored
        } catch {
            FileIO.remove(copy)
            throw error
        }
    }

    /// Gives a complete, synced file in `store/tmp` its content address and removes its
    /// temporary name. `sha256` and `mimeType` were computed while it was written.
    func commit(temporaryFile path: String, sha256: String, bytes: Int64, mimeType: String)
        throws(StoreError) -> StoredOriginal
    {
        let digest = Digest(sha256: sha256, bytes: bytes, mimeType: mimeType)
        return try place(path, digest: digest, from: path)
    }

    /// True when `mimeType` is one of the image types intake takes.
    public static func isImage(mimeType: String) -> Bool {
        imageExtensions[mimeType] != nil
    }

    /// What hashing a file found.
    private struct Digest {
        let sha256: String
        let bytes: Int64
        let mimeType: String
    }

    /// Reads `descriptor` to the end, hashing it, classifying its first bytes, and writing it
    /// to `copy` when given. Throws `notAnImage` before hashing the rest of a non-image.
    private func hashAndClassify(
        _ descriptor: Int32, path: String, copyingTo copy: (descriptor: Int32, path: String)?
    ) throws(StoreError) -> Digest {
        let hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        var mimeType: String?
        while true {
            let count = try FileIO.read(descriptor, into: buffer, path: path)
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if mimeType == nil {
                mimeType = try classify(Data(chunk.prefix(Magic.prefixBytes)), path: path)
            }
            if count == 0 { break }
            hasher.update(chunk)
            if let copy {
                try FileIO.write(copy.descriptor, chunk, path: copy.path)
            }
            total += Int64(count)
        }
        return Digest(sha256: hasher.finish(), bytes: total, mimeType: mimeType ?? "")
    }

    /// The MIME type of `prefix`, throwing `notAnImage` for anything but an image.
    private func classify(_ prefix: Data, path: String) throws(StoreError) -> String {
        let mimeType: String
        do {
            mimeType = try magic.mimeType(of: prefix)
        } catch {
            throw StoreError.unclassifiable(error)
        }
        guard Store.isImage(mimeType: mimeType) else {
            throw StoreError.notAnImage(path: path, mimeType: mimeType)
        }
        return mimeType
    }

    /// Moves the synced file at `path` to its content address. The rename refuses to replace
    /// (`RENAME_NOREPLACE`), so of two writers of the same content exactly one stores it and
    /// the other learns it was already there; its file is then removed. `origin` names the
    /// file in errors.
    private func place(_ path: String, digest: Digest, from origin: String) throws(StoreError)
        -> StoredOriginal
    {
        let ext = Store.imageExtensions[digest.mimeType] ?? "bin"
        let destination = originalPath(sha256: digest.sha256, ext: ext)
        let second = String(destination[..<destination.lastIndex(of: "/")!])
        try makeParents(second)

        var existed = false
        let result = intake_rename_noreplace(path, destination)
        switch -result {
        case 0:
            break
        case EEXIST:
            existed = true
            FileIO.remove(path)
        case EINVAL, ENOSYS:
            // A file system without RENAME_NOREPLACE: link(2) also refuses to replace.
            if Glibc.link(path, destination) != 0 {
                guard errno == EEXIST else {
                    throw StoreError.system(function: "link", path: destination, errno: errno)
                }
                existed = true
            }
            FileIO.remove(path)
        default:
            throw StoreError.system(function: "renameat2", path: origin, errno: -result)
        }
        if syncs { try FileIO.syncFolder(second) }
        return StoredOriginal(
            sha256: digest.sha256, bytes: digest.bytes, storePath: destination,
            mimeType: digest.mimeType, wasAlreadyStored: existed)
    }

    /// Creates `originals/aa` and `originals/aa/bb` where missing, syncing the parent of each
    /// folder it creates. Folders seen once are remembered, as creating folders is most of the
    /// file-system work of storing a small file.
    private func makeParents(_ second: String) throws(StoreError) {
        if knownFolders.withLock({ $0.contains(second) }) { return }
        try makeParents(of: second + "/", syncing: syncs)
        knownFolders.withLock { _ = $0.insert(second) }
    }

    /// Creates the folders `originals/aa` and `originals/aa/bb` of the original at `path`
    /// where missing; `syncing` syncs the parent of each folder created (the commit batcher
    /// syncs the whole file system instead).
    func makeParents(of path: String, syncing: Bool) throws(StoreError) {
        let second = String(path[..<path.lastIndex(of: "/")!])
        let first = String(second[..<second.lastIndex(of: "/")!])
        if mkdir(second, mode_t(folderMode)) == 0 {
            if syncing { try FileIO.syncFolder(first) }
            return
        }
        if errno == EEXIST { return }
        if try FileIO.makeFolder(first, mode: folderMode), syncing {
            try FileIO.syncFolder(originals)
        }
        if try FileIO.makeFolder(second, mode: folderMode), syncing {
            try FileIO.syncFolder(first)
        }
    }
}
