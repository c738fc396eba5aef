import Testing

@testable import IntakeCore

/// Near-duplicate search over stored perceptual hashes.
@Suite("Analysis near-duplicate index")
struct AnalysisNearDuplicateTests {
    @Test("finds hashes within the distance, nearest first, ties in insertion order")
    func nearest() {
        var index = NearDuplicateIndex<String>()
        let query: UInt64 = 0xF0F0_F0F0_0F0F_0F0F
        index.insert(query ^ 0b111, id: "three")
        index.insert(~query, id: "far")
        index.insert(query, id: "same")
        index.insert(query ^ (1 << 63), id: "one")
        index.insert(query ^ (1 << 5), id: "one-later")
        index.insert(query ^ 0x1FF, id: "nine")
        let matches = index.nearest(to: query, within: 8)
        #expect(matches.map(\.id) == ["same", "one", "one-later", "three"])
        #expect(matches.map(\.distance) == [0, 1, 1, 3])
        #expect(index.nearest(to: query, within: 9).last?.id == "nine")
        #expect(index.nearest(to: query, within: 8, limit: 2).map(\.id) == ["same", "one"])
        #expect(index.count == 6)
    }

    @Test("among many random hashes, planted neighbours are exactly what is found")
    func planted() {
        var generator = SystemRandomNumberGenerator()
        var index = NearDuplicateIndex<Int>()
        let query = UInt64.random(in: .min ... .max, using: &generator)
        var planted: [Int: Int] = [:]
        for id in 0..<20_000 {
            if id % 2000 == 0 {
                let flips = id / 2000  // 0 to 9 bits away
                var hash = query
                for bit in 0..<flips { hash ^= 1 << UInt64(bit * 6) }
                index.insert(hash, id: id)
                planted[id] = flips
            } else {
                index.insert(UInt64.random(in: .min ... .max, using: &generator), id: id)
            }
        }
        let found = index.nearest(to: query, within: 8)
        // A random 64-bit hash is within 8 bits of another with probability about 6e-9.
        #expect(Set(found.map(\.id)) == Set(planted.filter { $0.value <= 8 }.map(\.key)))
        #expect(found.map(\.distance) == found.map(\.distance).sorted())
        #expect(found.allSatisfy { planted[$0.id] == $0.distance })
    }
}
