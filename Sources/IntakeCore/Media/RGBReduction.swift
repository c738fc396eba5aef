/// 8-bit RGB pixels reduced by area averaging: each output pixel is the mean of the source
/// area it covers, pixels cut by the area's edge weighted by their overlap. This is the
/// thumbnail's reduction: the analysis has the picture's pixels in memory already, and
/// reducing them here costs a fraction of a libvips resize of the decoded image (which needs
/// a copy of it in memory, a pipeline of operations and their GObject bookkeeping).
///
/// Weights are fixed-point integers (16 fractional bits) that sum to exactly 1 per output
/// pixel, so a flat colour stays exactly that colour.
struct RGBReduction {
    let width: Int
    let height: Int
    /// Row after row, R, G, B bytes.
    let rgb: [UInt8]

    /// `rgb` (`width` x `height`) reduced so that its longer side is `size` pixels, the other
    /// in proportion (at least 1). A picture that already fits is returned as it is.
    init(rgb: [UInt8], width: Int, height: Int, toFit size: Int) {
        precondition(rgb.count == width * height * 3, "RGB buffer does not match its size")
        let longest = max(width, height)
        guard longest > size, size > 0 else {
            (self.width, self.height, self.rgb) = (width, height, rgb)
            return
        }
        let scale = Double(size) / Double(longest)
        let newWidth = width >= height ? size : max(1, Int((Double(width) * scale).rounded()))
        let newHeight = height > width ? size : max(1, Int((Double(height) * scale).rounded()))
        let rows = Self.pass(
            rgb, count: width, lines: height, lineStride: width * 3, step: 3, to: newWidth)
        // `rows` is height x newWidth; the vertical pass walks columns of it.
        self.rgb = Self.pass(
            rows, count: height, lines: newWidth, lineStride: 3, step: newWidth * 3,
            to: newHeight, transposed: true)
        self.width = newWidth
        self.height = newHeight
    }

    /// One separable pass: along each of `lines` lines (starting `lineStride` bytes apart),
    /// `count` pixels `step` bytes apart become `target` pixels. The output is laid out
    /// row-major for the horizontal pass (lines are rows) and for the vertical one
    /// (`transposed`: lines are columns, written down the output's columns).
    private static func pass(
        _ input: [UInt8], count: Int, lines: Int, lineStride: Int, step: Int, to target: Int,
        transposed: Bool = false
    ) -> [UInt8] {
        let taps = weights(from: count, to: target)
        var output = [UInt8](repeating: 0, count: lines * target * 3)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { result in
                for line in 0..<lines {
                    let base = line * lineStride
                    for index in 0..<target {
                        var red = 0
                        var green = 0
                        var blue = 0
                        let tap = taps[index]
                        var offset = base + tap.first * step
                        for weight in tap.weights {
                            red &+= Int(source[offset]) &* weight
                            green &+= Int(source[offset + 1]) &* weight
                            blue &+= Int(source[offset + 2]) &* weight
                            offset += step
                        }
                        let at =
                            transposed ? (index * lines + line) * 3 : (line * target + index) * 3
                        result[at] = UInt8(clamping: (red + half) >> shift)
                        result[at + 1] = UInt8(clamping: (green + half) >> shift)
                        result[at + 2] = UInt8(clamping: (blue + half) >> shift)
                    }
                }
            }
        }
        return output
    }

    private static let shift = 16
    private static let one = 1 << shift
    private static let half = 1 << (shift - 1)

    /// The source pixels one output pixel covers: the first, and a weight for each, in
    /// units of 1/65536 summing to exactly 65536.
    private struct Tap {
        let first: Int
        let weights: [Int]
    }

    private static func weights(from source: Int, to target: Int) -> [Tap] {
        let scale = Double(source) / Double(target)
        return (0..<target).map { index in
            let start = Double(index) * scale
            let end = min(Double(source), start + scale)
            let first = Int(start)
            let last = min(source - 1, Int((end - 1e-9).rounded(.down)))
            // Each weight is the difference of two rounded running totals of the coverage, so
            // the weights are never negative and sum to the rounded whole, which the last
            // boundary (the end of the area, always at a full `one`) makes exactly `one`.
            func total(at position: Double) -> Int {
                position >= end ? one : Int(((position - start) / scale * Double(one)).rounded())
            }
            let weights = (first...last).map { pixel in
                total(at: Double(pixel + 1)) - total(at: max(start, Double(pixel)))
            }
            return Tap(first: first, weights: weights)
        }
    }
}
