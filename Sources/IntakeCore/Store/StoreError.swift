import Foundation

/// A failure to bring a file into the content-addressed store.
public enum StoreError: CodedError {
    /// A system call failed on a path.
    case system(function: String, path: String, errno: Int32)
    /// The content is not one of the image types intake takes.
    case notAnImage(path: String, mimeType: String)
    /// libmagic could not classify the content.
    case unclassifiable(MagicError)

    public var code: String {
        switch self {
        case .system(_, _, let number) where number == ENOSPC || number == EDQUOT: "disk_full"
        case .system: "store_unwritable"
        case .notAnImage: "not_an_image"
        case .unclassifiable: "unreadable"
        }
    }

    public var message: String {
        switch self {
        case .system(let function, let path, let number):
            "\(function) \(path): \(String(cString: strerror(number)))"
        case .notAnImage(let path, let mimeType):
            "\(path) is \(mimeType), not an image (JPEG, PNG, GIF, WebP, TIFF, HEIC, AVIF, BMP)"
        case .unclassifiable(let error):
            "could not classify content: \(error.message)"
        }
    }

    /// True when trying again later may succeed (a full disk can be emptied).
    public var isTransient: Bool {
        switch self {
        case .system: true
        case .notAnImage, .unclassifiable: false
        }
    }
}
