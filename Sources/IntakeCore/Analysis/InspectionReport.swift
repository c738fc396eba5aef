/// The outcome of inspecting one file: its metadata and analysis where they could be made,
/// and the error that stopped it otherwise. Encodes as one flat JSON object with the field
/// names of the `image.metadata_extracted` and `image.analyzed` payloads, plus `path`, and
/// `error` {code, message} for a file that failed.
public struct InspectionReport: Encodable, Sendable {
    /// The error of a failed file, as `task.failed` reports it.
    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
    }

    public var path: String
    public var metadata: ImageMetadata?
    public var analysis: ImageAnalysis?
    public var error: Failure?

    /// Inspects `path`: metadata, then analysis unless `analyse` is false. With `thumbnails`,
    /// the analysis also writes the thumbnail into that folder as `<sha256>.webp`.
    public static func make(
        _ path: String, inspector: ImageInspector, analyse: Bool, thumbnails: String? = nil
    ) -> InspectionReport {
        var report = InspectionReport(path: path)
        do {
            let file = try ImageFile.read(path)
            let metadata = try inspector.metadata(of: file)
            report.metadata = metadata
            if analyse {
                report.analysis = try inspector.analysis(
                    of: path, file: file, metadata: metadata,
                    thumbnailTo: thumbnails.map { "\($0)/\(metadata.sha256).webp" })
            }
        } catch let error as any CodedError {
            report.error = Failure(code: error.code, message: error.message)
        } catch {
            report.error = Failure(code: "internal_error", message: "\(path): \(error)")
        }
        return report
    }

    private enum Keys: String, CodingKey {
        case path, error
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(path, forKey: .path)
        try container.encodeIfPresent(error, forKey: .error)
        try metadata?.encode(to: encoder)
        try analysis?.encode(to: encoder)
    }

    /// The report for a person: one heading line, then one field per line.
    public var text: String {
        guard error == nil || metadata != nil else {
            return "\(path)\n  error        \(error!.code): \(error!.message)\n"
        }
        var lines: [(String, String)] = []
        if let metadata {
            lines.append(("type", metadata.mimeType))
            lines.append(("size", "\(metadata.width)x\(metadata.height), \(metadata.bytes) bytes"))
            lines.append(("sha256", metadata.sha256))
            lines += optional("taken at", metadata.takenAt)
            let camera = [metadata.camera?.make, metadata.camera?.model].compactMap { $0 }
            if !camera.isEmpty { lines.append(("camera", camera.joined(separator: " / "))) }
            lines += optional("lens", metadata.lens)
            var exposure: [String] = []
            if let time = metadata.exposureTime {
                exposure.append(
                    time < 1 && time > 0 ? "1/\(Int((1 / time).rounded())) s" : "\(time) s")
            }
            if let number = metadata.fNumber { exposure.append("f/\(number)") }
            if let iso = metadata.iso { exposure.append("ISO \(iso)") }
            if let focal = metadata.focalLength { exposure.append("\(focal) mm") }
            if !exposure.isEmpty { lines.append(("exposure", exposure.joined(separator: ", "))) }
            lines += optional("flash", metadata.flash)
            lines += optional("orientation", metadata.orientation.map { "\($0)" })
            if let gps = metadata.gps {
                let altitude = gps.altitude.map { ", \($0) m" } ?? ""
                lines.append(("gps", "\(gps.latitude), \(gps.longitude)\(altitude)"))
            }
            lines += optional("software", metadata.software)
            lines += optional("artist", metadata.artist)
            lines += optional("copyright", metadata.copyright)
            lines += optional("description", metadata.description)
        }
        if let analysis {
            lines.append(("phash", analysis.phash))
            lines.append(("dhash", analysis.dhash))
            lines.append(("vector", "\(analysis.vectorLength) numbers (\(analysis.vectorVersion))"))
            if let labels = analysis.labels {
                lines.append(("labels", labels.joined(separator: " ")))
            }
        }
        if let error { lines.append(("error", "\(error.code): \(error.message)")) }
        var text = "\(path)\n"
        for (name, value) in lines {
            text += "  " + name.padding(toLength: 13, withPad: " ", startingAt: 0) + value + "\n"
        }
        if let exif = metadata?.exif, !exif.isEmpty {
            text += "  exif (\(exif.count) tags)\n"
            for name in exif.keys.sorted() { text += "    \(name): \(exif[name]!)\n" }
        }
        return text
    }

    private func optional(_ name: String, _ value: String?) -> [(String, String)] {
        value.map { [(name, $0)] } ?? []
    }
}
