import CExif

/// One parsed EXIF block: libexif's `ExifData`, released in `deinit`.
///
/// libexif finds the block itself in a whole JPEG file; for other containers (HEIF, PNG,
/// WebP) the decoder hands over the raw block, which is parsed the same way. Values are read
/// as the camera wrote them: the specification fix-ups that libexif would otherwise apply
/// (adding mandatory tags with default values) are switched off, so nothing is invented.
final class ExifBlock {
    /// The IFDs intake reads, as libexif numbers them (`ExifData.ifd` is a five-element tuple).
    enum Directory: Int, CaseIterable {
        case image = 0
        case thumbnail = 1
        case exif = 2
        case gps = 3
        case interoperability = 4
    }

    /// One tag's value: its number, format and raw bytes.
    struct Entry {
        let directory: Directory
        let tag: UInt16
        let format: ExifFormat
        let components: Int
        let bytes: UnsafeBufferPointer<UInt8>
        /// The entry itself, for libexif's own formatting.
        let entry: UnsafeMutablePointer<ExifEntry>
    }

    private let data: UnsafeMutablePointer<ExifData>
    private let order: ExifByteOrder

    /// Parses `bytes`: a whole JPEG file, a block beginning with `Exif\0\0`, or a bare TIFF
    /// structure (`II*\0` or `MM\0*`, as HEIF containers store it). Returns nil when no
    /// EXIF is found.
    init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8, let base = bytes.baseAddress else { return nil }
        guard let data = exif_data_new() else { return nil }
        exif_data_unset_option(data, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION)
        exif_data_unset_option(data, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS)
        exif_data_set_option(data, EXIF_DATA_OPTION_DONT_CHANGE_MAKER_NOTE)
        let head = Array(bytes.prefix(4))
        if head == [0x49, 0x49, 0x2A, 0x00] || head == [0x4D, 0x4D, 0x00, 0x2A] {
            // libexif expects the `Exif\0\0` marker in front of a bare TIFF structure.
            var framed: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]
            framed.append(contentsOf: bytes)
            framed.withUnsafeBufferPointer {
                exif_data_load_data(data, $0.baseAddress, UInt32($0.count))
            }
        } else {
            let length = UInt32(clamping: bytes.count)
            exif_data_load_data(data, base.assumingMemoryBound(to: UInt8.self), length)
        }
        self.data = data
        self.order = exif_data_get_byte_order(data)
        guard !entries.isEmpty else { return nil }
    }

    deinit {
        exif_data_unref(data)
    }

    /// Every entry, IFD by IFD, in file order.
    var entries: [Entry] {
        var result: [Entry] = []
        for directory in Directory.allCases {
            guard let content = content(directory), let list = content.pointee.entries else {
                continue
            }
            for index in 0..<Int(content.pointee.count) {
                guard let entry = list[index] else { continue }
                result.append(makeEntry(entry, directory))
            }
        }
        return result
    }

    /// The entry for `tag` in `directory`, if present.
    func entry(_ tag: UInt16, in directory: Directory) -> Entry? {
        guard let content = content(directory),
            let entry = exif_content_get_entry(content, ExifTag(rawValue: UInt32(tag)))
        else { return nil }
        return makeEntry(entry, directory)
    }

    /// The tag's name as libexif knows it in that IFD, or `Tag 0xNNNN` for an unknown one.
    func name(of entry: Entry) -> String {
        let ifd = ExifIfd(rawValue: UInt32(entry.directory.rawValue))
        if let name = exif_tag_get_name_in_ifd(ExifTag(rawValue: UInt32(entry.tag)), ifd) {
            return String(cString: name)
        }
        return "Tag 0x" + String(entry.tag, radix: 16, uppercase: true).leftPadded(to: 4)
    }

    /// libexif's own rendering of a value ("1/125 sec.", "Flash did not fire", "f/2.8").
    func formatted(_ entry: Entry) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 2048)
        let written = buffer.withUnsafeMutableBufferPointer { pointer -> Bool in
            exif_entry_get_value(entry.entry, pointer.baseAddress, UInt32(pointer.count)) != nil
        }
        guard written else { return [] }
        let end = buffer.firstIndex(of: 0) ?? buffer.count
        return buffer[0..<end].map { UInt8(bitPattern: $0) }
    }

    /// Unsigned integers of a BYTE, SHORT or LONG entry.
    func integers(_ entry: Entry) -> [UInt32] {
        let size: Int
        switch entry.format {
        case EXIF_FORMAT_BYTE: size = 1
        case EXIF_FORMAT_SHORT: size = 2
        case EXIF_FORMAT_LONG: size = 4
        default: return []
        }
        let count = min(entry.components, entry.bytes.count / size)
        guard let base = entry.bytes.baseAddress else { return [] }
        return (0..<count).map { index in
            let pointer = base + index * size
            switch size {
            case 1: return UInt32(pointer.pointee)
            case 2: return UInt32(exif_get_short(pointer, order))
            default: return exif_get_long(pointer, order)
            }
        }
    }

    /// Values of a RATIONAL or SRATIONAL entry; a zero denominator gives nil for that value.
    func rationals(_ entry: Entry) -> [Double?] {
        guard entry.format == EXIF_FORMAT_RATIONAL || entry.format == EXIF_FORMAT_SRATIONAL,
            let base = entry.bytes.baseAddress
        else { return [] }
        let count = min(entry.components, entry.bytes.count / 8)
        return (0..<count).map { index in
            let pointer = base + index * 8
            if entry.format == EXIF_FORMAT_RATIONAL {
                let value = exif_get_rational(pointer, order)
                return value.denominator == 0
                    ? nil : Double(value.numerator) / Double(value.denominator)
            }
            let value = exif_get_srational(pointer, order)
            return value.denominator == 0
                ? nil : Double(value.numerator) / Double(value.denominator)
        }
    }

    private func content(_ directory: Directory) -> UnsafeMutablePointer<ExifContent>? {
        switch directory {
        case .image: data.pointee.ifd.0
        case .thumbnail: data.pointee.ifd.1
        case .exif: data.pointee.ifd.2
        case .gps: data.pointee.ifd.3
        case .interoperability: data.pointee.ifd.4
        }
    }

    private func makeEntry(
        _ entry: UnsafeMutablePointer<ExifEntry>, _ directory: Directory
    ) -> Entry {
        let bytes = UnsafeBufferPointer(start: entry.pointee.data, count: Int(entry.pointee.size))
        return Entry(
            directory: directory, tag: UInt16(truncatingIfNeeded: entry.pointee.tag.rawValue),
            format: entry.pointee.format, components: Int(entry.pointee.components),
            bytes: entry.pointee.data == nil ? UnsafeBufferPointer(start: nil, count: 0) : bytes,
            entry: entry)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
