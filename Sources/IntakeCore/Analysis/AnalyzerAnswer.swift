/// The JSON an external analyzer prints on standard output. Other keys are allowed and
/// ignored.
struct AnalyzerAnswer: Decodable {
    var labels: [String]?
    var embedding: [Double]?
}

/// The JSON an external analyzer reads on standard input.
struct AnalyzerRequest: Encodable {
    var path: String
    var mimeType: String
    var bytes: Int
    var sha256: String
}
