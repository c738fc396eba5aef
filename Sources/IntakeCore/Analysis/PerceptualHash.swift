import Foundation

/// The two 64-bit image hashes intake stores. Both look at the picture's coarse structure in
/// grey, so re-encoding, rescaling or mild colour changes move them by a few bits while
/// different pictures land about 32 bits apart.
///
/// Bits are read row by row, the first one being the most significant, which is the order the
/// Python `imagehash` package prints, so the hex strings can be compared with it.
enum PerceptualHash {
    /// pHash: the DCT hash described by Christoph Zauner, "Implementation and Benchmarking of
    /// Perceptual Image Hash Functions" (2010), in the variant popularised by Neal Krawetz
    /// ("Looks Like It", 2011) and `imagehash.phash`: the grey image at 32x32, its 2-D DCT-II,
    /// the 8x8 lowest frequencies (DC included); a bit is set where a coefficient is above
    /// the median of those 64.
    static func phash(_ plane: GreyPlane) -> UInt64 {
        let size = 32
        let small = plane.resampled(width: size, height: size)
        var rows = [Double](repeating: 0, count: size * 8)  // DCT along x, first 8 frequencies
        for y in 0..<size {
            for u in 0..<8 {
                var sum = 0.0
                for x in 0..<size { sum += small.values[y * size + x] * cosines[u * size + x] }
                rows[y * 8 + u] = sum
            }
        }
        var low = [Double](repeating: 0, count: 64)  // then along y
        for v in 0..<8 {
            for u in 0..<8 {
                var sum = 0.0
                for y in 0..<size { sum += rows[y * 8 + u] * cosines[v * size + y] }
                low[v * 8 + u] = sum
            }
        }
        let sorted = low.sorted()
        let median = (sorted[31] + sorted[32]) / 2
        return bits(low.map { $0 > median })
    }

    /// dHash: the difference hash of Neal Krawetz ("Kind of Like That", 2013), as
    /// `imagehash.dhash` computes it: the grey image at 9x8, and a bit per pair of horizontal
    /// neighbours, set where the right one is brighter.
    static func dhash(_ plane: GreyPlane) -> UInt64 {
        let small = plane.resampled(width: 9, height: 8)
        var flags: [Bool] = []
        for y in 0..<8 {
            for x in 0..<8 {
                flags.append(small.values[y * 9 + x + 1] > small.values[y * 9 + x])
            }
        }
        return bits(flags)
    }

    /// A hash as 16 lowercase hex digits.
    static func hex(_ hash: UInt64) -> String {
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The hash written as 16 hex digits, or nil when `text` is not one.
    static func parse(_ text: String) -> UInt64? {
        guard text.utf8.count == 16 else { return nil }
        return UInt64(text, radix: 16)
    }

    /// `cos(pi * k * (2n + 1) / 64)` for k < 8, n < 32: the DCT-II basis (unnormalised, which
    /// does not change which coefficients are above the median).
    private static let cosines: [Double] = (0..<8).flatMap { k in
        (0..<32).map { n in cos(Double.pi * Double(k) * Double(2 * n + 1) / 64) }
    }

    private static func bits(_ flags: [Bool]) -> UInt64 {
        precondition(flags.count == 64, "a hash has 64 bits")
        return flags.reduce(0) { ($0 << 1) | ($1 ? 1 : 0) }
    }
}
