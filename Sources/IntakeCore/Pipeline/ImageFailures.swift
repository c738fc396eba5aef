/// How the image stages turn errors into stage failures.
enum ImageFailures {
    /// An image that cannot be read is permanent (`corrupt_image`, `not_an_image`,
    /// `too_large`), except `unreadable`, which may be a passing file-system problem.
    static func failure(_ error: ImageError) -> StageFailure {
        StageFailure(
            code: error.code, message: error.message, transient: error.code == "unreadable")
    }
}
