/// A grey image as floating-point luma, the input of the perceptual hashes.
struct GreyPlane {
    let width: Int
    let height: Int
    /// Row after row, 0 (black) to 255 (white).
    let values: [Double]

    /// Luma of 8-bit RGB pixels with the ITU-R BT.601 weights (the conversion PIL's `L` mode
    /// uses, so the hashes are comparable with the common Python implementations).
    init(rgb: [UInt8], width: Int, height: Int) {
        precondition(rgb.count == width * height * 3, "RGB buffer does not match its size")
        self.width = width
        self.height = height
        var values = [Double](repeating: 0, count: width * height)
        for index in 0..<(width * height) {
            let red = Double(rgb[index * 3])
            let green = Double(rgb[index * 3 + 1])
            let blue = Double(rgb[index * 3 + 2])
            values[index] = red * 0.299 + green * 0.587 + blue * 0.114
        }
        self.values = values
    }

    init(width: Int, height: Int, values: [Double]) {
        self.width = width
        self.height = height
        self.values = values
    }

    /// This plane resampled to `newWidth` x `newHeight` by area averaging: every output pixel
    /// is the mean of the source area it covers, partial pixels weighted by their overlap.
    /// Unlike point sampling, this does not alias, which is what keeps a hash stable when the
    /// same picture arrives at another size.
    func resampled(width newWidth: Int, height newHeight: Int) -> GreyPlane {
        let horizontal = Self.weights(from: width, to: newWidth)
        let vertical = Self.weights(from: height, to: newHeight)
        var rows = [Double](repeating: 0, count: newWidth * height)
        for y in 0..<height {
            for x in 0..<newWidth {
                var sum = 0.0
                for (source, weight) in horizontal[x] { sum += values[y * width + source] * weight }
                rows[y * newWidth + x] = sum
            }
        }
        var result = [Double](repeating: 0, count: newWidth * newHeight)
        for y in 0..<newHeight {
            for x in 0..<newWidth {
                var sum = 0.0
                for (source, weight) in vertical[y] { sum += rows[source * newWidth + x] * weight }
                result[y * newWidth + x] = sum
            }
        }
        return GreyPlane(width: newWidth, height: newHeight, values: result)
    }

    /// For each output position, the source positions it covers and their weights (summing
    /// to 1).
    private static func weights(from source: Int, to target: Int) -> [[(Int, Double)]] {
        let scale = Double(source) / Double(target)
        return (0..<target).map { index in
            let start = Double(index) * scale
            let end = start + scale
            var list: [(Int, Double)] = []
            var position = Int(start)
            while Double(position) < end && position < source {
                let overlap = min(end, Double(position + 1)) - max(start, Double(position))
                if overlap > 1e-12 { list.append((position, overlap / scale)) }
                position += 1
            }
            return list
        }
    }
}
