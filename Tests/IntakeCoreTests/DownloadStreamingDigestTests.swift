import Foundation
import Testing

@testable import IntakeCore

/// The digest of a body hashed partly on the transfer thread and partly on its own thread.
@Suite struct DownloadStreamingDigestTests {
    private func inline(_ bytes: [UInt8]) -> String {
        let hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finish()
    }

    @Test(arguments: [0, 1, 5_000, 3 << 19])
    func offloadingKeepsTheDigest(offloadAfter: Int) {
        // 2.5 MiB, more than two of the batches handed to the other thread, in a pattern
        // whose period (251) divides no chunk or batch size.
        let pattern = (0..<251).map { UInt8($0) }
        var bytes: [UInt8] = []
        while bytes.count < 5 << 19 { bytes.append(contentsOf: pattern) }
        let digest = StreamingDigest()
        // Chunks of an odd size, as curl hands them over, split around the switch.
        var offset = 0
        while offset < bytes.count {
            if offset >= offloadAfter { digest.offload() }
            let end = min(bytes.count, offset + 65_537)
            bytes[offset..<end].withUnsafeBytes { digest.update($0) }
            offset = end
        }
        #expect(digest.finish() == inline(bytes))
    }

    @Test func resetForgetsBytesFedAndGathered() {
        let digest = StreamingDigest()
        digest.offload()
        let first = [UInt8](repeating: 7, count: 3 << 19)
        let second = [UInt8](repeating: 9, count: 100_000)
        first.withUnsafeBytes { digest.update($0) }
        digest.reset()
        second.withUnsafeBytes { digest.update($0) }
        #expect(digest.finish() == inline(second))
    }
}
