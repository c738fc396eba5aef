import Foundation

/// Decides what a claimed file is by its content (libmagic), never by its name: an image, a URL
/// list, or a rejection with its reason.
///
/// Entries that are not regular files are judged by `lstat(2)` alone: a symbolic link is not
/// followed, and a FIFO, socket or device is never opened.
final class DropClassifier {
    /// The MIME types libmagic gives the image formats intake takes.
    static let imageTypes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/heic",
        "image/heif", "image/heic-sequence", "image/heif-sequence", "image/avif", "image/bmp",
        "image/x-ms-bmp",
    ]

    private let magic: Magic
    /// The largest image accepted (`download.max_bytes`, the same limit as a download).
    let maxImageBytes: Int64
    /// The most tasks a URL list may make (`inbox.max_urls`).
    let maxURLs: Int

    init(maxImageBytes: Int64, maxURLs: Int) throws(MagicError) {
        magic = try Magic()
        self.maxImageBytes = maxImageBytes
        self.maxURLs = maxURLs
    }

    /// What the file at `path` is. `name` is the dropped name, for messages.
    func classify(path: String, name: String) -> ClaimedDrop.Kind {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            return .rejected(DropRejection.unreadable(path: name, errno: errno))
        }
        if let kind = DropClassifier.notRegular(status.st_mode) {
            return .rejected(
                DropRejection(
                    code: "unsupported_type",
                    message: "\(name) is \(kind), not a regular file; it was not opened"))
        }
        guard status.st_size > 0 else {
            return .rejected(DropRejection(code: "empty_drop", message: "\(name) is empty"))
        }
        let mimeType: String
        do {
            mimeType = try magic.mimeType(ofFileAt: path)
        } catch {
            return .rejected(
                DropRejection(code: "unreadable", message: "cannot read \(name): \(error.detail)"))
        }
        if DropClassifier.imageTypes.contains(mimeType) {
            guard Int64(status.st_size) <= maxImageBytes else {
                return .rejected(
                    DropRejection(
                        code: "too_large",
                        message: "\(name) is \(status.st_size) bytes, more than the limit of "
                            + "\(maxImageBytes) bytes (download.max_bytes)"))
            }
            return .image(mimeType: mimeType)
        }
        if mimeType.hasPrefix("text/") {
            switch URLList.parse(fileAt: path, maxURLs: maxURLs) {
            case .success(let list):
                return .urlList(list)
            case .failure(let rejection):
                return .rejected(
                    DropRejection(code: rejection.code, message: "\(name): \(rejection.message)"))
            }
        }
        return .rejected(
            DropRejection(
                code: "unsupported_type",
                message: "\(name) is \(mimeType), neither an image (JPEG, PNG, GIF, WebP, TIFF, "
                    + "HEIC/HEIF, AVIF, BMP) nor a text list of URLs"))
    }

    /// A description of a file type that is not a regular file, nil for a regular file.
    static func notRegular(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: nil
        case S_IFLNK: "a symbolic link"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a folder"
        default: "of an unknown file type"
        }
    }
}
