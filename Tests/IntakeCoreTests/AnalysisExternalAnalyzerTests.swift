import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// The external analyzer: a real child process per image, JSON in and out, killed with its
/// children on timeout.
@Suite("Analysis external analyzer")
struct AnalysisExternalAnalyzerTests {
    static let photo = MetadataDump.folder + "/jpg/exif-org/kodak-dc210.jpg"
    let folder = TemporaryFolder("intake-analyzer")

    /// Writes an executable shell script and returns its path.
    private func script(_ name: String, _ body: String) throws -> String {
        let path = try folder.write(name, "#!/bin/sh\n" + body)
        #expect(chmod(path, 0o755) == 0)
        return path
    }

    private func inspector(_ command: [String], timeout: Int = 20) throws -> ImageInspector {
        var settings = Configuration().analysis
        settings.command = command
        settings.commandTimeoutSeconds = timeout
        return try ImageInspector(settings: settings)
    }

    @Test("the request arrives on standard input; labels and embedding come back")
    func answer() throws {
        let request = folder.file("request.json")
        let program = try script(
            "good.sh",
            """
            cat > "$1"
            echo '{"labels": ["cat", "outdoor"], "embedding": [0.5, -1, 2e3], "extra": {}}'
            """)
        let analysis = try inspector([program, request]).analysis(of: Self.photo)
        #expect(analysis.labels == ["cat", "outdoor"])
        #expect(analysis.embedding == [0.5, -1, 2000])
        let sent = try JSONDecoder().decode(
            [String: AnyCodableValue].self, from: Data(contentsOf: URL(fileURLWithPath: request)))
        let metadata = try inspector([program, request]).metadata(of: Self.photo)
        #expect(sent["path"] == .text(Self.photo))
        #expect(sent["mimeType"] == .text("image/jpeg"))
        #expect(sent["sha256"] == .text(metadata.sha256))
        #expect(sent["bytes"] == .number(Double(metadata.bytes)))
    }

    @Test(
        "a bad answer, a failing exit or a missing program is analyzer_failed",
        arguments: [
            ("echo 'not json'", "not JSON"),
            ("echo '{\"labels\": [1, 2]}'", "labels (strings)"),
            ("echo 'cannot see' >&2; exit 3", "status 3: cannot see"),
            ("kill -9 $$", "signal 9"),
        ])
    func failures(_ body: String, _ expected: String) throws {
        let program = try script("bad.sh", "cat > /dev/null\n" + body + "\n")
        let report = InspectionReport.make(
            Self.photo, inspector: try inspector([program]), analyse: true)
        #expect(report.error?.code == "analyzer_failed")
        #expect(report.error?.message.contains(expected) == true, "\(report.error?.message ?? "")")
        #expect(report.metadata != nil)
    }

    @Test("an analyzer that never reads its request still answers, and intake lives on")
    func unreadRequest() throws {
        let program = try script("quick.sh", "echo '{\"labels\": [\"quick\"]}'\n")
        for _ in 0..<20 {
            let analysis = try inspector([program]).analysis(of: Self.photo)
            #expect(analysis.labels == ["quick"])
            #expect(analysis.embedding == [])
        }
    }

    @Test("a program that does not exist is analyzer_failed")
    func missingProgram() throws {
        let report = InspectionReport.make(
            Self.photo, inspector: try inspector([folder.file("nothing-here")]), analyse: true)
        #expect(report.error?.code == "analyzer_failed")
    }

    @Test("past the timeout the analyzer and its children are killed")
    func timeout() throws {
        let childFile = folder.file("child.pid")
        let program = try script(
            "slow.sh",
            """
            sleep 300 &
            echo $! > "\(childFile)"
            sleep 300
            """)
        let started = Date()
        let report = InspectionReport.make(
            Self.photo, inspector: try inspector([program], timeout: 1), analyse: true)
        #expect(report.error?.code == "timeout")
        #expect(Date().timeIntervalSince(started) < 10)
        let child = try #require(
            pid_t(
                try String(contentsOfFile: childFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        // The orphaned child is reaped by init once killed; wait for that with a deadline.
        let deadline = Date().addingTimeInterval(10)
        while kill(child, 0) == 0 && Date() < deadline { usleep(20_000) }
        #expect(kill(child, 0) == -1 && errno == ESRCH)
    }

    @Test("the sample face detector finds the face in a corpus photograph")
    func faceDetector() throws {
        let python = Paths.repository + "/.build/venv/bin/python"
        try #require(
            FileManager.default.isExecutableFile(atPath: python),
            "run `make venv` first: the sample analyzer needs OpenCV in .build/venv")
        let sample = Paths.repository + "/Samples/analyzers/face_detect.py"
        let analysis = try inspector([python, sample], timeout: 60).analysis(of: Self.photo)
        let labels = try #require(analysis.labels)
        let count = try #require(labels.first.flatMap { Int($0.dropFirst("faces:".count)) })
        #expect(count >= 1)
        // The woman in the devil's hood: her face spans about x 290-345, y 227-282.
        let boxes = labels.dropFirst().compactMap { label -> [Int]? in
            guard label.hasPrefix("face:") else { return nil }
            return label.dropFirst(5).split(separator: ",").compactMap { Int($0) }
        }
        #expect(boxes.count == count)
        #expect(
            boxes.contains { box in
                abs(box[0] + box[2] / 2 - 317) < 30 && abs(box[1] + box[3] / 2 - 255) < 30
            })
        #expect(analysis.embedding?.count == 16)
    }
}

/// A JSON value of a flat object, for reading what the analyzer was sent.
enum AnyCodableValue: Decodable, Equatable {
    case text(String)
    case number(Double)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .number(try container.decode(Double.self))
        }
    }
}
