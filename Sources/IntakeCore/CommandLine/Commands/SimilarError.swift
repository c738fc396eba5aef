/// `intake similar` could not find what to compare with.
struct SimilarError: CodedError {
    let message: String
    var code: String { "not_found" }
}
