/// A setup step of the pipeline tests that could not be done, with what went wrong.
struct PipelineFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
