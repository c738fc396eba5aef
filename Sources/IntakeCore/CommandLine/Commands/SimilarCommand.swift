import Foundation

/// `intake similar X`: the stored images nearest to a file, a sha256 or a task's image.
enum SimilarCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "similar", synopsis: "FILE | SHA256 | TASK-ID",
        summary: "images nearest to X (a file, a sha256 or a task id)",
        discussion: """
            Ranks the analysed images by the Hamming distance of their perceptual hash to X's,
            then by the Euclidean distance of their feature vectors. A file is analysed on the
            spot (it need not be in the store); X itself is listed at distance 0 when stored.
            """,
        options: [.value("limit", "N", "at most N images (default 10)"), .json],
        positionals: 1...1)

    /// One stored image and how far it is from X.
    struct Match: Encodable {
        let sha256: String
        let phashDistance: Int
        let vectorDistance: Double
        let thumbnailPath: String?
        /// The first task that brought this content in.
        let taskId: String?
        let source: String?
    }

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let limit = try invocation.arguments.int("limit", in: 1...10_000) ?? 10
        let target = invocation.arguments.positionals[0]
        guard let database = try invocation.openDatabaseForReading() else {
            throw SimilarError(message: "no database at \(invocation.home.database)")
        }
        let (phash, vector) = try reference(for: target, database: database, invocation)
        var candidates = try database.rows(
            "SELECT sha256, phash, analysis, thumbnail_path FROM images WHERE phash IS NOT NULL"
        ) { row in
            (
                sha256: row.text(0),
                distance: (UInt64(bitPattern: row.int(1)) ^ phash).nonzeroBitCount,
                analysis: row.text(2), thumbnail: row.optionalText(3)
            )
        }
        candidates.sort { ($0.distance, $0.sha256) < ($1.distance, $1.sha256) }
        let pool = candidates.prefix(max(limit * 20, 200))
        var matches: [Match] = []
        for candidate in pool {
            let analysis = try? JSONValue.decode(ImageAnalysis.self, from: candidate.analysis)
            let task = try database.row(
                "SELECT id, source FROM tasks WHERE sha256 = ?1 ORDER BY created_at LIMIT 1",
                [.text(candidate.sha256)]
            ) { ($0.text(0), $0.text(1)) }
            matches.append(
                Match(
                    sha256: candidate.sha256, phashDistance: candidate.distance,
                    vectorDistance: distance(vector, analysis?.vector ?? []),
                    thumbnailPath: candidate.thumbnail, taskId: task?.0, source: task?.1))
        }
        matches.sort {
            ($0.phashDistance, $0.vectorDistance, $0.sha256)
                < ($1.phashDistance, $1.vectorDistance, $1.sha256)
        }
        let result = Array(matches.prefix(limit))
        if invocation.json {
            try invocation.output.json(result)
        } else {
            for match in result {
                invocation.output.line(
                    "\(String(match.phashDistance).leftPadded(2)) bits  "
                        + String(format: "%8.4f", match.vectorDistance)
                        + "  \(match.sha256)  \(match.source ?? "")")
            }
        }
        return .success
    }

    /// The pHash and feature vector of X.
    private static func reference(
        for target: String, database: Database, _ invocation: Invocation
    ) throws -> (UInt64, [Double]) {
        if FileManager.default.fileExists(atPath: target) {
            let configuration = try invocation.loadConfiguration()
            let inspector = try ImageInspector(settings: configuration.analysis)
            let analysis = try inspector.analysis(of: target)
            guard let phash = PerceptualHash.parse(analysis.phash) else {
                throw SimilarError(message: "\(target): no perceptual hash")
            }
            return (phash, analysis.vector)
        }
        var sha256 = target.lowercased()
        if sha256.count != 64 {
            guard let task = try TaskReader(database: database).task(matching: target),
                let stored = task.sha256
            else {
                throw SimilarError(
                    message: "'\(target)' is neither a file, a stored sha256 nor a task with an "
                        + "image")
            }
            sha256 = stored
        }
        guard
            let text = try database.row(
                "SELECT analysis FROM images WHERE sha256 = ?1 AND analysis IS NOT NULL",
                [.text(sha256)], { $0.text(0) }),
            let analysis = try? JSONValue.decode(ImageAnalysis.self, from: text),
            let phash = PerceptualHash.parse(analysis.phash)
        else {
            throw SimilarError(message: "no analysed image has the sha256 \(sha256)")
        }
        return (phash, analysis.vector)
    }

    /// Euclidean distance; infinity when the vectors cannot be compared.
    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return .infinity }
        return zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }
}
