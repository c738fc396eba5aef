import Foundation

/// What the metadata and analysis stages learn from one image file: the code the pipeline's
/// workers call, and `intake inspect` without the daemon.
///
/// Safe to share between threads: libmagic is behind a lock, libvips and libexif calls work
/// on values owned by the calling thread.
public final class ImageInspector: Sendable {
    /// Content types intake treats as images (spec: JPEG, PNG, GIF, WebP, TIFF, HEIC/HEIF,
    /// AVIF, BMP), as libmagic names them.

    public static let imageTypes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/heic",
        "image/heif", "image/heic-sequence", "image/heif-sequence", "image/avif", "image/bmp",
        "image/x-ms-bmp",
    ]

    private let liveSettings: LiveValue<Configuration.Analysis>
    private let magic: Magic

    public init(settings: Configuration.Analysis) throws(MagicError) {
        self.liveSettings = LiveValue(settings)
        self.magic = try Magic()
    }

    /// The `[analysis]` settings in use.
    public var settings: Configuration.Analysis { liveSettings.value }

    /// Replaces the settings (a reload); every analysis started later uses the new ones.
    public func update(_ settings: Configuration.Analysis) {
        liveSettings.replace(with: settings)
    }

    /// Content type, size, pixel size and EXIF of the file at `path`.
    public func metadata(of path: String) throws(ImageError) -> ImageMetadata {
        try metadata(of: ImageFile.read(path))
    }

    /// Content type, size, pixel size and EXIF of a file already read.
    func metadata(of file: ImageFile) throws(ImageError) -> ImageMetadata {
        let result = file.bytes.withUnsafeBytes { bytes in
            Result { () throws(ImageError) -> ImageMetadata in
                try metadata(of: file.path, bytes: bytes)
            }
        }
        return try result.get()
    }

    /// The feature vector of the file at `path`, decoded with its orientation applied; writes
    /// the WebP thumbnail to `thumbnailTo` when given, and runs `analysis.command` when set.
    /// `metadata` is what `metadata(of:)` returned for the same file, if the caller has it.
    /// The thumbnail is written in `scratch` first (a folder on the same file system; beside
    /// `thumbnailTo` when nil) and renamed into place.
    ///
    /// Throws `ImageError` for the image, `AnalysisError` for the external analyzer.
    public func analysis(
        of path: String, metadata known: ImageMetadata? = nil, thumbnailTo thumbnail: String? = nil,
        scratch: String? = nil
    ) throws -> ImageAnalysis {
        if let known {
            return try analysis(
                of: path, file: nil, metadata: known, thumbnailTo: thumbnail, scratch: scratch)
        }
        let file = try ImageFile.read(path)
        return try analysis(
            of: path, file: file, metadata: metadata(of: file), thumbnailTo: thumbnail,
            scratch: scratch)
    }

    /// `analysis(of:metadata:thumbnailTo:)` for a file that may have been read already (`file`),
    /// so that `intake inspect` reads each file once.
    func analysis(
        of path: String, file: ImageFile?, metadata: ImageMetadata, thumbnailTo thumbnail: String?,
        scratch: String? = nil
    ) throws -> ImageAnalysis {
        let settings = self.settings
        let pixels = metadata.width * metadata.height
        guard pixels <= settings.maxPixels else {
            throw ImageError(
                .tooLarge, path: path,
                detail: "\(metadata.width)x\(metadata.height) is \(pixels) pixels, more than "
                    + "analysis.max_pixels (\(settings.maxPixels))")
        }
        let size = max(ImageFeatures.workingSize, settings.thumbnailPixels)
        var base: LoadedImage
        let factor = Self.jpegShrink(metadata, fitting: size)
        if metadata.mimeType == "image/jpeg",
            let stripped = JPEGMarkers.strippingMetadata(try (file ?? ImageFile.read(path)).bytes)
        {
            // intake has read the EXIF already: libvips need not parse it again, which is a
            // good part of its time per small picture. The orientation is applied from ours.
            base = try LoadedImage.jpeg(
                stripped, path: path, shrink: factor, orientation: metadata.orientation ?? 1)
        } else if metadata.mimeType == "image/jpeg" {
            base = try LoadedImage.jpeg(path, shrink: factor)
        } else {
            base = try LoadedImage.thumbnail(of: path, size: size)
        }
        // The thumbnail is reduced from the working pixels below whenever they are at least
        // its size: always for the default 256 px. Only a thumbnail larger than the working
        // size, of a picture decoded larger still, needs the decoded picture a second time.
        let fromWorking =
            max(base.width, base.height) <= ImageFeatures.largestWorkingSize
            || settings.thumbnailPixels <= ImageFeatures.largestWorkingSize
        if thumbnail != nil && !fromWorking { base = try base.inMemory() }
        // The features are computed on the picture as decoded (see `ImageFeatures`): a libvips
        // resize to exactly 256 pixels cost more than the decoding itself.
        let working = try shrink(base, to: ImageFeatures.largestWorkingSize).srgb8()
        let rgb = try working.pixels()
        let features = ImageFeatures(rgb: rgb, width: working.width, height: working.height)
        if let thumbnail {
            let small: LoadedImage
            if fromWorking {
                let reduced = RGBReduction(
                    rgb: rgb, width: working.width, height: working.height,
                    toFit: settings.thumbnailPixels)
                small = try LoadedImage.rgb(
                    reduced.rgb, width: reduced.width, height: reduced.height, path: path)
            } else {
                small = try base.reducedLinearly(toFit: settings.thumbnailPixels)
            }
            try write(thumbnail: small, to: thumbnail, scratch: scratch)
        }

        var result = ImageAnalysis(
            phash: PerceptualHash.hex(features.phash), dhash: PerceptualHash.hex(features.dhash),
            vectorVersion: ImageFeatures.version, vectorLength: ImageFeatures.length,
            vector: features.vector, meanColor: features.meanColor, thumbnailPath: thumbnail,
            analyzedWidth: working.width, analyzedHeight: working.height)
        if !settings.command.isEmpty {
            let analyzer = ExternalAnalyzer(
                command: settings.command, timeoutSeconds: settings.commandTimeoutSeconds)
            let answer = try analyzer.run(
                AnalyzerRequest(
                    path: path, mimeType: metadata.mimeType, bytes: metadata.bytes,
                    sha256: metadata.sha256))
            result.labels = answer.labels ?? []
            result.embedding = answer.embedding ?? []
        }
        return result
    }

    private func metadata(
        of path: String, bytes: UnsafeRawBufferPointer
    ) throws(ImageError) -> ImageMetadata {
        let mimeType: String
        do {
            mimeType = try magic.mimeType(
                of: UnsafeRawBufferPointer(rebasing: bytes.prefix(Magic.prefixBytes)))
        } catch {
            throw ImageError(
                .unreadable, path: path, detail: error.message, function: "magic_buffer")
        }
        guard Self.imageTypes.contains(mimeType) else {
            throw ImageError(
                .notAnImage, path: path, detail: "content is \(mimeType), not an image")
        }

        var size = mimeType == "image/jpeg" ? JPEGMarkers.size(bytes) : nil
        var exif: ExifBlock?
        if mimeType == "image/jpeg" {
            exif = ExifBlock(bytes: bytes)
        } else if mimeType == "image/tiff" {
            // A TIFF file is an EXIF block's own structure: its first IFD holds the tags.
            exif = ExifBlock(bytes: bytes)
        }
        if size == nil || exif == nil && mimeType != "image/jpeg" {
            let header = try LoadedImage.open(path)
            size = size ?? (header.width, header.height)
            if exif == nil, let block = header.exifBlock {
                exif = block.withUnsafeBytes { ExifBlock(bytes: $0) }
            }
        }
        guard let size else {
            throw ImageError(.corruptImage, path: path, detail: "no pixel size in the header")
        }

        let summary = exif.map(ExifSummary.init) ?? ExifSummary()
        return ImageMetadata(
            sha256: SHA256.digest(bytes), mimeType: mimeType, bytes: bytes.count,
            width: size.width, height: size.height, takenAt: summary.takenAt,
            camera: summary.camera, lens: summary.lens, exposureTime: summary.exposureTime,
            fNumber: summary.fNumber, iso: summary.iso, focalLength: summary.focalLength,
            flash: summary.flash, orientation: summary.orientation, gps: summary.gps,
            software: summary.software, artist: summary.artist, copyright: summary.copyright,
            description: summary.description, exif: summary.tags)
    }

    /// The largest JPEG decoding scale (1/1 to 1/8) that keeps both sides' longer one at least
    /// `size` pixels, so that the final shrink still averages over real pixels.
    static func jpegShrink(_ metadata: ImageMetadata, fitting size: Int) -> Int {
        let longest = max(metadata.width, metadata.height)
        return [8, 4, 2].first { longest / $0 >= size } ?? 1
    }

    private func shrink(_ image: LoadedImage, to size: Int) throws(ImageError) -> LoadedImage {
        max(image.width, image.height) > size ? try image.shrunk(toFit: size) : image
    }

    /// Removes the thumbnail temporaries that writes cut off by a crash left in `folder`, and
    /// returns how many. Only names this inspector makes (`.<uuid>.webp.tmp`) are touched.
    public static func removeTemporaries(in folder: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let abandoned = names.filter { $0.hasPrefix(".") && $0.hasSuffix(".webp.tmp") }
        return abandoned.filter { unlink("\(folder)/\($0)") == 0 }.count
    }

    /// Writes the thumbnail in `scratch` (or beside its target) first and renames it, so that
    /// no reader sees a partly written file. The temporary is `.<uuid>.webp.tmp`, which
    /// `ImageInspector.removeTemporaries(in:)` finds after a crash.
    private func write(
        thumbnail image: LoadedImage, to target: String, scratch: String?
    ) throws(ImageError) {
        let folder = (target as NSString).deletingLastPathComponent
        // The analysis stage and `inspect --thumbnails` have made the folder already: one
        // access(2) instead of FileManager's look at every level of the path, per image.
        if !folder.isEmpty && access(folder, F_OK) != 0 {
            try? FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
        // A name of its own per write: two files with the same content (the same path given
        // twice to `inspect`, or copies analysed at once) write the same target side by side.
        let temporary = "\(scratch ?? folder)/.\(Identifier.uuidV7()).webp.tmp"
        // Effort 0 instead of libwebp's default 4: measured in the daemon over 1,000 camera
        // JPEGs, libwebp's CPU time per 256 px thumbnail went from 2.9 ms (effort 2; about
        // 5 ms at effort 4) to 1.5 ms, for files 8 % larger (13.7 KB on average).
        try image.srgb8().writeWebP(to: temporary, quality: 80, effort: 0)
        guard rename(temporary, target) == 0 else {
            let detail = String(cString: strerror(errno))
            unlink(temporary)
            throw ImageError(.unreadable, path: target, detail: detail, function: "rename")
        }
    }
}
