import Foundation
import TestSupport

/// The corpus's reference output of the Python EXIF reader exif-py (`exif-samples/dump`): per
/// file, tag name (`Image Make`, `GPS GPSLatitude`) to the value text it printed.
struct MetadataDump {
    /// The corpus folder of the EXIF samples.
    static let folder = Paths.corpus + "/exif-samples"

    /// Files of the dump that exist in the corpus, by absolute path. The dump names one HEIC
    /// file with a `.heif` extension that the corpus spells `.HEIC`.
    static let files: [String: [String: String]] = {
        guard let text = try? String(contentsOfFile: folder + "/dump", encoding: .utf8) else {
            return [:]
        }
        var result: [String: [String: String]] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Opening: ") {
                let relative = line.dropFirst("Opening: exif-samples-master/".count)
                current = resolve(String(relative))
                if let current { result[current] = [:] }
                continue
            }
            guard let current, let split = line.range(of: "): ") else { continue }
            let head = line[..<split.lowerBound]
            guard let paren = head.range(of: " (", options: .backwards) else { continue }
            result[current]?[String(head[..<paren.lowerBound])] =
                String(line[split.upperBound...])
        }
        return result
    }()

    private static func resolve(_ relative: String) -> String? {
        let path = folder + "/" + relative
        if FileManager.default.fileExists(atPath: path) { return path }
        let other = (path as NSString).deletingPathExtension + ".HEIC"
        return FileManager.default.fileExists(atPath: other) ? other : nil
    }

    /// exif-py's `[40, 39, 233883/5000]` as numbers; nil if any part is not a number.
    static func numbers(_ text: String) -> [Double]? {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        var values: [Double] = []
        for part in inner.split(separator: ",") {
            let fraction = part.trimmingCharacters(in: .whitespaces).split(separator: "/")
            guard let top = Double(fraction[0]) else { return nil }
            if fraction.count == 2 {
                guard let bottom = Double(fraction[1]), bottom != 0 else { return nil }
                values.append(top / bottom)
            } else {
                values.append(top)
            }
        }
        return values
    }

    /// Degrees from exif-py's degrees, minutes, seconds and reference letter.
    static func degrees(_ tags: [String: String], _ name: String, negative: String) -> Double? {
        guard let text = tags["GPS GPS\(name)"], let parts = numbers(text), parts.count == 3
        else { return nil }
        let value = parts[0] + parts[1] / 60 + parts[2] / 3600
        return tags["GPS GPS\(name)Ref"]?.hasPrefix(negative) == true ? -value : value
    }
}
