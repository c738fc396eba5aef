import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// Files that are not usable images each give a clear error with a stable code, and the
/// inspection of the others goes on.
@Suite("Metadata of bad input")
struct MetadataBadInputTests {
    let inspector = try! ImageInspector(settings: Configuration().analysis)
    let folder = TemporaryFolder("intake-metadata")
    let canon = MetadataDump.folder + "/jpg/Canon_40D.jpg"

    private func code(_ path: String, analyse: Bool = false) -> String? {
        InspectionReport.make(path, inspector: inspector, analyse: analyse).error?.code
    }

    @Test("an empty file is not an image")
    func empty() throws {
        let path = try folder.write("empty.jpg", "")
        #expect(code(path) == "not_an_image")
    }

    @Test("a text file named .jpg is not an image: content decides, not the name")
    func textNamedJPEG() throws {
        let path = try folder.write("notes.jpg", "just some words\nand more\n")
        let report = InspectionReport.make(path, inspector: inspector, analyse: true)
        #expect(report.error?.code == "not_an_image")
        #expect(report.error?.message.contains("text/plain") == true)
    }

    @Test("a JPEG cut off after its first third gives metadata, and analysis or corrupt_image")
    func truncatedJPEG() throws {
        let source = MetadataDump.folder + "/jpg/gps/DSCN0010.jpg"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let path = folder.file("cut.jpg")
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: path))
        let metadata = try inspector.metadata(of: path)
        #expect(metadata.camera?.model == "COOLPIX P6000")
        #expect(metadata.width == 640 && metadata.height == 480)
        let report = InspectionReport.make(path, inspector: inspector, analyse: true)
        #expect(report.error == nil || report.error?.code == "corrupt_image")
    }

    @Test("a JPEG cut off inside its header is corrupt")
    func headerOnlyJPEG() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: canon))
        let path = folder.file("header.jpg")
        try bytes.prefix(600).write(to: URL(fileURLWithPath: path))
        #expect(code(path, analyse: true) == "corrupt_image")
    }

    @Test("a directory, a missing path and a FIFO are unreadable; the FIFO is not opened")
    func notRegularFiles() throws {
        #expect(code(folder.path) == "unreadable")
        #expect(code(folder.file("missing.jpg")) == "unreadable")
        let fifo = folder.file("pipe.jpg")
        #expect(mkfifo(fifo, 0o600) == 0)
        // Opening the FIFO for reading would block this test forever (no writer).
        let report = InspectionReport.make(fifo, inspector: inspector, analyse: true)
        #expect(report.error?.code == "unreadable")
        #expect(report.error?.message.contains("FIFO") == true)
    }

    @Test("a file without read permission is unreadable")
    func noPermission() throws {
        let path = folder.file("secret.jpg")
        try FileManager.default.copyItem(atPath: canon, toPath: path)
        #expect(chmod(path, 0) == 0)
        if geteuid() != 0 {
            #expect(code(path) == "unreadable")
            return
        }
        // Root reads any file, so the check runs in a child that dropped to nobody's ids.
        #expect(chmod(folder.path, 0o755) == 0)
        let result = try runAsNobody([Paths.intake, "inspect", "--json", "--no-analysis", path])
        #expect(result.status == 1)
        #expect(result.output.contains("\"code\" : \"unreadable\""))
        #expect(result.output.contains("Permission denied"))
    }

    @Test("a PNG that claims 50000x50000 pixels is refused as too_large before decoding")
    func decompressionBomb() throws {
        let path = folder.file("bomb.png")
        try Self.pngHeader(width: 50_000, height: 50_000).write(to: URL(fileURLWithPath: path))
        let metadata = try inspector.metadata(of: path)
        #expect(metadata.width == 50_000 && metadata.height == 50_000)
        let started = Date()
        let report = InspectionReport.make(path, inspector: inspector, analyse: true)
        #expect(report.error?.code == "too_large")
        #expect(report.error?.message.contains("analysis.max_pixels") == true)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("the pixel limit is a setting")
    func pixelLimit() throws {
        var settings = Configuration().analysis
        settings.maxPixels = 100 * 60
        let small = try ImageInspector(settings: settings)
        let report = InspectionReport.make(canon, inspector: small, analyse: true)
        #expect(report.error?.code == "too_large")  // 100x68 pixels
        #expect(InspectionReport.make(canon, inspector: inspector, analyse: true).error == nil)
    }

    @Test("one bad file does not stop the others, and the exit status says one failed")
    func commandGoesOn() throws {
        let text = try folder.write("list.jpg", "not an image\n")
        let result = try IntakeProcess.run([
            "inspect", "--json", "--home", folder.file("home"), text, canon, folder.path,
        ])
        #expect(result.status == 1)
        let array =
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        let reports = try #require(array)
        #expect(reports.count == 3)
        #expect((reports[0]["error"] as? [String: String])?["code"] == "not_an_image")
        #expect(reports[1]["error"] == nil)
        #expect((reports[1]["camera"] as? [String: String])?["model"] == "Canon EOS 40D")
        #expect((reports[1]["phash"] as? String)?.count == 16)
        #expect(reports[1]["vectorLength"] as? Int == ImageFeatures.length)
        #expect((reports[2]["error"] as? [String: String])?["code"] == "unreadable")
    }

    @Test("without --json each file is a block of lines; --no-analysis leaves out the hashes")
    func textOutput() throws {
        let text = try folder.write("words.jpg", "words\n")
        let result = try IntakeProcess.run([
            "inspect", "--no-analysis", "--home", folder.file("home"), canon, text,
        ])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == canon)
        #expect(lines.contains("  camera       Canon / Canon EOS 40D"))
        #expect(lines.contains("  taken at     2008-05-30T15:56:01"))
        #expect(lines.contains { $0.hasPrefix("  error        not_an_image: \(text)") })
        #expect(!result.stdout.contains("phash"))
        let analysed = try IntakeProcess.run(["inspect", "--home", folder.file("home"), canon])
        #expect(analysed.status == 0)
        #expect(analysed.stdout.contains("  phash        "))
    }

    @Test("--thumbnails writes each analysed file's thumbnail, named by its sha256")
    func thumbnails() throws {
        let text = try folder.write("words.jpg", "words\n")
        let target = folder.file("previews/new")
        let result = try IntakeProcess.run([
            "inspect", "--json", "--thumbnails", target, "--home", folder.file("home"), canon,
            text,
        ])
        #expect(result.status == 1)
        let array =
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        let reports = try #require(array)
        let sha256 = try #require(reports.first?["sha256"] as? String)
        let path = target + "/" + sha256 + ".webp"
        #expect(reports.first?["thumbnailPath"] as? String == path)
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written.prefix(4) == Data("RIFF".utf8))
        #expect(written.dropFirst(8).prefix(4) == Data("WEBP".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: target) == [sha256 + ".webp"])

        let refused = try IntakeProcess.run([
            "inspect", "--no-analysis", "--thumbnails", target, "--home", folder.file("home"),
            canon,
        ])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--thumbnails needs the analysis"))
    }

    @Test("--thumbnails: the same file twice gives one thumbnail; a folder that is a file fails")
    func thumbnailsEdges() throws {
        let target = folder.file("twice")
        let home = folder.file("home")
        // The same content at once: each write has a temporary name of its own.
        let twice = try IntakeProcess.run(
            ["inspect", "--json", "--thumbnails", target, "--home", home]
                + Array(repeating: canon, count: 32))
        #expect(twice.status == 0, "\(twice.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).count == 1)

        let notAFolder = try folder.write("plain-file", "text\n")
        let failed = try IntakeProcess.run([
            "inspect", "--thumbnails", notAFolder, "--home", home, canon,
        ])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("mkdir \(notAFolder): File exists"))
    }

    /// A PNG signature and IHDR chunk for an 8-bit grey image of the given size, followed by
    /// an IDAT chunk with a few bytes and IEND: enough for a decoder to read the header.
    static func pngHeader(width: UInt32, height: UInt32) -> Data {
        var data = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func chunk(_ type: String, _ body: [UInt8]) {
            var length = UInt32(body.count).bigEndian
            data.append(Data(bytes: &length, count: 4))
            let typed = Array(type.utf8) + body
            data.append(contentsOf: typed)
            var crc = crc32(typed).bigEndian
            data.append(Data(bytes: &crc, count: 4))
        }
        func bigEndian(_ value: UInt32) -> [UInt8] {
            [
                UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF),
                UInt8(value & 0xFF),
            ]
        }
        chunk("IHDR", bigEndian(width) + bigEndian(height) + [8, 0, 0, 0, 0])
        chunk("IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01])
        chunk("IEND", [])
        return data
    }

    /// CRC-32 as PNG computes it (ISO 3309, polynomial 0xEDB88320).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// Runs `arguments` as user and group nobody (65534) through util-linux's setpriv.
    private func runAsNobody(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
