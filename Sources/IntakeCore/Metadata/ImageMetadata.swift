/// What the metadata stage records about one image: the fields of the
/// `image.metadata_extracted` event payload, with the same names.
public struct ImageMetadata: Codable, Sendable, Equatable {
    /// The camera that took the picture, as EXIF names it.
    public struct Camera: Codable, Sendable, Equatable {
        public var make: String?
        public var model: String?
    }

    /// Where the picture was taken: signed decimal degrees (south and west negative) and metres
    /// above sea level (below is negative).
    public struct Position: Codable, Sendable, Equatable {
        public var latitude: Double
        public var longitude: Double
        public var altitude: Double?
    }

    /// Lowercase hex SHA-256 of the file's content.
    public var sha256: String
    /// The content type by content (libmagic), such as `image/jpeg`.
    public var mimeType: String
    /// File size in bytes.
    public var bytes: Int
    /// Pixel size as stored in the file, before the EXIF orientation is applied.
    public var width: Int
    public var height: Int
    /// Local time as the camera recorded it (`2008-05-30T15:56:01`), followed by the offset
    /// only where EXIF records one (`+02:00`).
    public var takenAt: String?
    public var camera: Camera?
    public var lens: String?
    /// Exposure time in seconds.
    public var exposureTime: Double?
    public var fNumber: Double?
    public var iso: Int?
    /// Focal length in millimetres.
    public var focalLength: Double?
    /// libexif's description of the flash setting, such as `Flash did not fire`.
    public var flash: String?
    /// EXIF orientation, 1 to 8 (1 is upright).
    public var orientation: Int?
    public var gps: Position?
    public var software: String?
    public var artist: String?
    public var copyright: String?
    public var description: String?
    /// Every EXIF tag as name and value text (thumbnail IFD tags prefixed `Thumbnail`).
    public var exif: [String: String]
}
