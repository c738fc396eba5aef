import Testing

@testable import IntakeCore

/// Area averaging of 8-bit RGB pixels, checked on pixels whose averages are known.
@Suite("Media RGB reduction")
struct MediaRGBReductionTests {
    /// `width` x `height` pixels of `pixel(x, y)`.
    static func image(_ width: Int, _ height: Int, _ pixel: (Int, Int) -> [UInt8]) -> [UInt8] {
        (0..<height).flatMap { y in (0..<width).flatMap { x in pixel(x, y) } }
    }

    @Test("a flat colour stays exactly that colour, at any ratio")
    func flat() {
        for (width, height, size) in [(7, 5, 3), (512, 384, 256), (300, 301, 256), (9, 1, 4)] {
            let rgb = Self.image(width, height) { _, _ in [200, 17, 255] }
            let reduced = RGBReduction(rgb: rgb, width: width, height: height, toFit: size)
            #expect(max(reduced.width, reduced.height) == size)
            #expect(reduced.rgb.count == reduced.width * reduced.height * 3)
            let colours = stride(from: 0, to: reduced.rgb.count, by: 3).map {
                Array(reduced.rgb[$0..<$0 + 3])
            }
            #expect(Set(colours) == [[200, 17, 255]])
        }
    }

    @Test("halving averages each 2 x 2 block; the shorter side keeps the proportion")
    func halving() {
        let rgb = Self.image(4, 2) { x, y in [UInt8(x * 40 + y * 10), UInt8(x), 0] }
        let reduced = RGBReduction(rgb: rgb, width: 4, height: 2, toFit: 2)
        #expect((reduced.width, reduced.height) == (2, 1))
        // Red of the left block: (0 + 40 + 10 + 50) / 4 = 25; right: (80 + 120 + 90 + 130) / 4.
        #expect(reduced.rgb == [25, 1, 0, 105, 3, 0])
    }

    @Test("three pixels into two: the middle one is shared half and half")
    func fractional() {
        let rgb: [UInt8] = [0, 0, 0, 90, 90, 90, 180, 180, 180]
        let reduced = RGBReduction(rgb: rgb, width: 3, height: 1, toFit: 2)
        // Each output covers 1.5 pixels: (0 + 0.5 * 90) / 1.5 = 30, (0.5 * 90 + 180) / 1.5 = 150.
        #expect(reduced.rgb == [30, 30, 30, 150, 150, 150])
    }

    @Test("a picture that already fits, or a portrait one, is sized by its longer side")
    func fitsAndPortrait() {
        let small = Self.image(3, 2) { x, _ in [UInt8(x), 0, 0] }
        let same = RGBReduction(rgb: small, width: 3, height: 2, toFit: 3)
        #expect((same.width, same.height, same.rgb) == (3, 2, small))
        let tall = Self.image(30, 40) { _, y in [UInt8(y), 0, 0] }
        let reduced = RGBReduction(rgb: tall, width: 30, height: 40, toFit: 8)
        #expect((reduced.width, reduced.height) == (6, 8))
        // Rows of 5 source rows each: the first averages 0...4, the last 35...39.
        #expect(reduced.rgb[0] == 2 && reduced.rgb[reduced.rgb.count - 3] == 37)
    }
}
