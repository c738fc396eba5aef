import Foundation

/// Why a download did not bring an original into the store: a stable `code` (the one a user
/// sees in `task.failed`), a message naming the URL, whether trying again may help, and the
/// earliest time to try again when the server said so.
///
/// Codes: `http_<status>`, `timeout`, `too_many_redirects`, `network_error`, `too_large`,
/// `not_an_image`, `blocked_address`, `invalid_url`, `disk_full`, `store_unwritable`,
/// `cancelled`.
public struct DownloadFailure: CodedError, Equatable {
    public let code: String
    public let message: String
    /// True for failures a later attempt may not meet: network errors, timeouts, HTTP 408, 429
    /// and 5xx, a full disk. The queue retries these up to its attempt limit.
    public let transient: Bool
    /// The earliest time to try again, from the server's `Retry-After`.
    public let retryAfter: Date?

    public init(code: String, message: String, transient: Bool, retryAfter: Date? = nil) {
        self.code = code
        self.message = message
        self.transient = transient
        self.retryAfter = retryAfter
    }

    static func invalidURL(_ url: String, _ reason: String) -> DownloadFailure {
        DownloadFailure(code: "invalid_url", message: "\(url): \(reason)", transient: false)
    }

    static func blockedAddress(_ url: String, address: String) -> DownloadFailure {
        DownloadFailure(
            code: "blocked_address",
            message: "\(url) leads to \(address), a loopback, private, link-local or "
                + "multicast address (directly, through DNS or through a redirect); set "
                + "download.allow_private_addresses = true to allow it",
            transient: false)
    }

    static func blockedScheme(_ url: String) -> DownloadFailure {
        DownloadFailure(
            code: "blocked_address",
            message: "\(url) redirects to a URL that is not http or https; refused",
            transient: false)
    }

    static func http(_ url: String, status: Int, retryAfter: Date?) -> DownloadFailure {
        let transient = status == 408 || status == 429 || (500...599).contains(status)
        var message = "\(url) answered HTTP \(status)"
        if let retryAfter {
            message += "; the server asks to retry after \(retryAfter.ISO8601Format())"
        }
        return DownloadFailure(
            code: "http_\(status)", message: message, transient: transient,
            retryAfter: retryAfter)
    }

    static func tooLarge(_ url: String, bytes: Int64, limit: Int64) -> DownloadFailure {
        DownloadFailure(
            code: "too_large",
            message: "\(url) is larger than download.max_bytes (\(limit) bytes): "
                + "\(bytes) bytes or more",
            transient: false)
    }

    static func notAnImage(_ url: String, mimeType: String) -> DownloadFailure {
        DownloadFailure(
            code: "not_an_image",
            message: "\(url) served \(mimeType), not an image (JPEG, PNG, GIF, WebP, TIFF, "
                + "HEIC, AVIF, BMP)",
            transient: false)
    }

    static func store(_ url: String, _ error: StoreError) -> DownloadFailure {
        DownloadFailure(
            code: error.code, message: "\(url): \(error.message)", transient: error.isTransient)
    }
}
