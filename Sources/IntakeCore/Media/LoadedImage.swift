import CVips
import Foundation

/// One libvips image (`VipsImage *`), released in `deinit`. Opening one reads only the header;
/// pixels are decoded when they are asked for.
///
/// Not `Sendable`: each image belongs to the task that opened it.
final class LoadedImage {
    private let image: UnsafeMutablePointer<VipsImage>
    /// The file the image came from, named in errors.
    let path: String
    /// Memory libvips reads from lazily (for an image loaded from a buffer), kept alive as long
    /// as any image derived from it.
    private let source: AnyObject?

    private init(
        _ image: UnsafeMutablePointer<VipsImage>, path: String, source: AnyObject? = nil
    ) {
        self.image = image
        self.path = path
        self.source = source
    }

    deinit {
        g_object_unref(image)
    }

    /// Opens `path` and reads its header (size, bands, metadata), not its pixels.
    static func open(_ path: String) throws(ImageError) -> LoadedImage {
        try Vips.start()
        let mark = Vips.errorMark()
        guard let image = intake_vips_open(path) else {
            throw ImageError(
                .corruptImage, path: path, detail: Vips.takeError(since: mark),
                function: "vips_image_new_from_file")
        }
        return LoadedImage(image, path: path)
    }

    /// Decodes `path` shrunk to fit a square of `size` pixels (never enlarged), with the
    /// EXIF orientation applied.
    static func thumbnail(of path: String, size: Int) throws(ImageError) -> LoadedImage {
        try Vips.start()
        let mark = Vips.errorMark()
        var output: UnsafeMutablePointer<VipsImage>?
        guard intake_vips_thumbnail(path, &output, Int32(size)) == 0, let output else {
            throw ImageError(
                .corruptImage, path: path, detail: Vips.takeError(since: mark),
                function: "vips_thumbnail")
        }
        return LoadedImage(output, path: path)
    }

    /// Decodes a JPEG scaled down by `shrink` (1, 2, 4 or 8) while decoding, then turns it
    /// upright by its EXIF orientation. For JPEG this is what `thumbnail(of:size:)` does
    /// internally, without its second pass over the header (libvips parses the whole EXIF
    /// block on every header read).
    static func jpeg(_ path: String, shrink: Int) throws(ImageError) -> LoadedImage {
        try Vips.start()
        let mark = Vips.errorMark()
        var output: UnsafeMutablePointer<VipsImage>?
        guard intake_vips_jpegload_shrunk(path, &output, Int32(shrink)) == 0, let output else {
            throw ImageError(
                .corruptImage, path: path, detail: Vips.takeError(since: mark),
                function: "vips_jpegload")
        }
        return try LoadedImage(output, path: path).derive("vips_autorot") { result in
            intake_vips_autorot(output, &result)
        }
    }

    /// Decodes JPEG `bytes` (of the file at `path`) scaled down by `shrink` while decoding, and
    /// turns it upright by `orientation` (EXIF 1 to 8), for bytes whose EXIF was stripped.
    static func jpeg(
        _ bytes: [UInt8], path: String, shrink: Int, orientation: Int
    ) throws(ImageError) -> LoadedImage {
        try Vips.start()
        let mark = Vips.errorMark()
        let owner = ByteOwner(bytes)
        var output: UnsafeMutablePointer<VipsImage>?
        let status = intake_vips_jpegload_buffer_shrunk(
            owner.memory.baseAddress, bytes.count, &output, Int32(shrink))
        guard status == 0, let output else {
            throw ImageError(
                .corruptImage, path: path, detail: Vips.takeError(since: mark),
                function: "vips_jpegload_buffer")
        }
        let loaded = LoadedImage(output, path: path, source: owner)
        guard orientation > 1 else { return loaded }
        vips_image_set_int(output, "orientation", Int32(orientation))
        return try loaded.derive("vips_autorot") { intake_vips_autorot(output, &$0) }
    }

    var width: Int { Int(vips_image_get_width(image)) }
    var height: Int { Int(vips_image_get_height(image)) }
    var bands: Int { Int(vips_image_get_bands(image)) }

    /// The raw EXIF block the decoder found (`exif-data`), beginning with `Exif\0\0` or
    /// directly with the TIFF header, depending on the container.
    var exifBlock: [UInt8]? {
        var data: UnsafeRawPointer?
        var length = 0
        guard vips_image_get_typeof(image, "exif-data") != 0,
            vips_image_get_blob(image, "exif-data", &data, &length) == 0, let data, length > 0
        else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: data, count: length))
    }

    /// An sRGB image of 8-bit `rgb` pixels (row after row, R, G, B), copied into libvips.
    /// `path` is the file they came from, named in errors.
    static func rgb(
        _ rgb: [UInt8], width: Int, height: Int, path: String
    ) throws(ImageError) -> LoadedImage {
        let mark = Vips.errorMark()
        let image = rgb.withUnsafeBytes { bytes in
            vips_image_new_from_memory_copy(
                bytes.baseAddress, bytes.count, Int32(width), Int32(height), 3,
                VIPS_FORMAT_UCHAR)
        }
        guard let image else {
            throw ImageError(
                .corruptImage, path: path, detail: Vips.takeError(since: mark),
                function: "vips_image_new_from_memory_copy")
        }
        image.pointee.Type = VIPS_INTERPRETATION_sRGB
        return LoadedImage(image, path: path)
    }

    /// This image decoded into memory. A file is decoded sequentially, once; an image that is
    /// read twice (the features and the thumbnail) is decoded into memory first.
    func inMemory() throws(ImageError) -> LoadedImage {
        let mark = Vips.errorMark()
        guard let copy = vips_image_copy_memory(image) else {
            throw ImageError(
                .corruptImage, path: path, detail: Vips.takeError(since: mark),
                function: "vips_image_copy_memory")
        }
        return LoadedImage(copy, path: path, source: source)
    }

    /// This image shrunk to fit a square of `size` pixels (never enlarged).
    func shrunk(toFit size: Int) throws(ImageError) -> LoadedImage {
        try derive("vips_thumbnail_image") { intake_vips_thumbnail_image(image, &$0, Int32(size)) }
    }

    /// This image reduced to fit a square of `size` pixels with a linear kernel (never
    /// enlarged): a third of the taps of `shrunk(toFit:)`'s Lanczos-3 kernel, and none of
    /// its thumbnail machinery, for a softness that a small thumbnail does not show.
    func reducedLinearly(toFit size: Int) throws(ImageError) -> LoadedImage {
        let longest = max(width, height)
        guard longest > size else { return self }
        let factor = Double(size) / Double(longest)
        return try derive("vips_resize") { intake_vips_resize_linear(image, &$0, factor) }
    }

    /// This image scaled by `factor`.
    func scaled(by factor: Double) throws(ImageError) -> LoadedImage {
        try derive("vips_resize") { intake_vips_resize(image, &$0, factor) }
    }

    /// This image as 8-bit sRGB with exactly three bands: grey is expanded, alpha is
    /// composited onto black, CMYK and 16-bit images are converted.
    func srgb8() throws(ImageError) -> LoadedImage {
        var current = self
        if vips_image_get_interpretation(image) != VIPS_INTERPRETATION_sRGB {
            current = try current.derive("vips_colourspace") {
                intake_vips_colourspace(current.image, &$0, VIPS_INTERPRETATION_sRGB)
            }
        }
        if current.bands == 2 || current.bands > 3 {
            current = try current.derive("vips_flatten") { intake_vips_flatten(current.image, &$0) }
        }
        if vips_image_get_format(current.image) != VIPS_FORMAT_UCHAR {
            current = try current.derive("vips_cast") { intake_vips_cast_uchar(current.image, &$0) }
        }
        if current.bands != 3 {
            current = try current.derive("vips_extract_band") {
                intake_vips_extract_bands(current.image, &$0, 0, 3)
            }
        }
        return current
    }

    /// The decoded pixels, row after row, band after band (for `srgb8()`: R, G, B bytes).
    func pixels() throws(ImageError) -> [UInt8] {
        let mark = Vips.errorMark()
        var size = 0
        guard let memory = vips_image_write_to_memory(image, &size) else {
            throw ImageError(
                .corruptImage, path: path, detail: Vips.takeError(since: mark),
                function: "vips_image_write_to_memory")
        }
        defer { g_free(memory) }
        return [UInt8](UnsafeRawBufferPointer(start: memory, count: size))
    }

    /// Writes the image as lossy WebP at `quality` (1-100), without metadata, spending
    /// `effort` (0-6, libwebp's "method") on making it smaller.
    func writeWebP(to target: String, quality: Int, effort: Int = 4) throws(ImageError) {
        let mark = Vips.errorMark()
        guard intake_vips_webpsave(image, target, Int32(quality), Int32(effort)) == 0 else {
            throw ImageError(
                .unreadable, path: target, detail: Vips.takeError(since: mark),
                function: "vips_webpsave")
        }
    }

    /// Writes the image as PNG (lossless).
    func writePNG(to target: String) throws(ImageError) {
        let mark = Vips.errorMark()
        guard intake_vips_pngsave(image, target) == 0 else {
            throw ImageError(
                .unreadable, path: target, detail: Vips.takeError(since: mark),
                function: "vips_pngsave")
        }
    }

    /// Writes the image as JPEG at `quality` (1-100).
    func writeJPEG(to target: String, quality: Int) throws(ImageError) {
        let mark = Vips.errorMark()
        guard intake_vips_jpegsave(image, target, Int32(quality)) == 0 else {
            throw ImageError(
                .unreadable, path: target, detail: Vips.takeError(since: mark),
                function: "vips_jpegsave")
        }
    }

    /// Runs one vips operation that makes a new image from this one.
    private func derive(
        _ function: String,
        _ operation: (inout UnsafeMutablePointer<VipsImage>?) -> Int32
    ) throws(ImageError) -> LoadedImage {
        let mark = Vips.errorMark()
        var output: UnsafeMutablePointer<VipsImage>?
        guard operation(&output) == 0, let output else {
            throw ImageError(
                .corruptImage, path: path, detail: Vips.takeError(since: mark), function: function)
        }
        return LoadedImage(output, path: path, source: source)
    }
}

/// A copy of some bytes at a fixed address for as long as an image reads them (a Swift array's
/// address is only valid inside `withUnsafeBytes`), freed in `deinit`.
private final class ByteOwner {
    let memory: UnsafeMutableRawBufferPointer

    init(_ bytes: [UInt8]) {
        memory = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        memory.copyBytes(from: bytes)
    }

    deinit {
        memory.deallocate()
    }
}
