/// The feature vector of one image, computed on the orientation-corrected picture as the
/// decoder gives it: a JPEG scaled by 1/2, 1/4 or 1/8 inside libjpeg to the smallest size whose
/// longest side is still at least `workingSize` (so 256 to 511 pixels, or less for a smaller
/// picture), other formats shrunk by libvips to `workingSize`, and nothing longer than
/// `largestWorkingSize`. The hashes average areas (`GreyPlane.resampled`), so which of these
/// sizes a picture was analysed at moves them by a bit or two at most.
///
/// The vector has a fixed length and a version name, so a stored vector says how it was made;
/// a change to any part of it gets a new version.
public struct ImageFeatures: Sendable, Equatable {
    /// The name of the layout below.
    /// v1 computed everything on the picture resized by libvips to exactly 256 pixels.
    public static let version = "intake-features-v2"
    /// mean RGB (3) + RGB histogram with 4 levels per channel (64) + pHash bits (64) +
    /// dHash bits (64).
    public static let length = 3 + 64 + 64 + 64
    /// The longest side a picture is decoded to at least, where it has that many pixels.
    static let workingSize = 256
    /// The longest side of the picture the features are computed from, at most.
    static let largestWorkingSize = 512

    public let phash: UInt64
    public let dhash: UInt64
    /// Mean red, green and blue, 0 to 1.
    public let meanColor: [Double]
    /// Share of pixels in each of 64 colour cells (4 levels per channel; index
    /// `r * 16 + g * 4 + b`), summing to 1.
    public let histogram: [Double]

    /// The whole vector, `length` numbers, in the order the version names.
    public var vector: [Double] {
        var result = meanColor + histogram
        for shift in stride(from: 63, through: 0, by: -1) {
            result.append(Double((phash >> UInt64(shift)) & 1))
        }
        for shift in stride(from: 63, through: 0, by: -1) {
            result.append(Double((dhash >> UInt64(shift)) & 1))
        }
        return result
    }

    /// Features of 8-bit RGB pixels.
    init(rgb: [UInt8], width: Int, height: Int) {
        let plane = GreyPlane(rgb: rgb, width: width, height: height)
        phash = PerceptualHash.phash(plane)
        dhash = PerceptualHash.dhash(plane)
        var sums = [0.0, 0.0, 0.0]
        var cells = [Double](repeating: 0, count: 64)
        let count = width * height
        for index in 0..<count {
            let red = Int(rgb[index * 3])
            let green = Int(rgb[index * 3 + 1])
            let blue = Int(rgb[index * 3 + 2])
            sums[0] += Double(red)
            sums[1] += Double(green)
            sums[2] += Double(blue)
            cells[(red >> 6) * 16 + (green >> 6) * 4 + (blue >> 6)] += 1
        }
        meanColor = sums.map { $0 / Double(max(count, 1)) / 255 }
        histogram = cells.map { $0 / Double(max(count, 1)) }
    }
}
