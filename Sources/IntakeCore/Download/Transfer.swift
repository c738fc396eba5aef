import CCurl
import CSystem
import Foundation

/// One download in flight: its easy handle, the partial body it writes to `store/tmp`, the
/// running SHA-256, and what the response headers said. Created, driven and finished on the
/// transfer engine's thread only.
final class Transfer {
    let request: TransferRequest
    let easy = CurlEasy()
    private let settings: DownloadSettings
    private let policy: AddressPolicy
    private let magic: Magic
    private let budget: MemoryBudget
    private let startsWriteback: Bool
    private let hasher = StreamingDigest()

    /// The partial body's descriptor, open from the first body byte (or from the start when
    /// resuming) until `finish`.
    private var descriptor: Int32 = -1
    /// The body while it is held in memory instead of a file (small bodies of known length).
    private var memory: [UInt8]?
    /// Bytes of `budget` taken for `memory`.
    private var reserved = 0
    /// Bytes in the partial body, including those kept from an earlier attempt.
    private var written: Int64 = 0
    /// Bytes of the partial file before this offset were handed to the disk already.
    private var writebackFrom: Int64 = 0
    /// Bytes kept from an earlier attempt and asked for with `Range`.
    private var rangeStart: Int64 = 0
    /// The `If-Range` value sent, or recorded for the next attempt.
    private var ifRange: String?
    private var resumedFrom: Int64 = 0
    /// True when a validator file may exist beside the body and must go when it is stored.
    private var validatorWritten = false
    private var prefix: [UInt8] = []
    private var mimeType: String?
    /// True while the current response is a 2xx whose body belongs in the partial file.
    private var inBody = false
    /// Set by a callback that stops the transfer, so `finish` reports why.
    private var failure: DownloadFailure?
    private var blockedAddress: String?
    private var response = ResponseHeaders()

    /// What the headers of the current response said.
    private struct ResponseHeaders {
        var status = 0
        var contentLength: Int64?
        var contentRangeStart: Int64?
        var etag: String?
        var lastModified: String?
        var retryAfter: String?
    }

    /// A transfer for `request`; `budget` bounds the small bodies held in memory, and
    /// `startsWriteback` starts writing a large body to the disk while it arrives (when the
    /// store will sync it anyway).
    init(
        request: TransferRequest, settings: DownloadSettings, policy: AddressPolicy,
        magic: Magic, budget: MemoryBudget, startsWriteback: Bool
    ) throws(DownloadFailure) {
        self.request = request
        self.settings = settings
        self.policy = policy
        self.magic = magic
        self.budget = budget
        self.startsWriteback = startsWriteback
        try configure()
        try resumeIfPossible()
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        budget.release(reserved)
    }

    /// Bodies at least this large (or of unknown length) record their validator as soon as
    /// their headers arrive, so that even a killed process leaves a resumable body.
    static let crashResumeBytes: Int64 = 1 << 20

    /// Bodies of a known length below this are held in memory (budget permitting) and never
    /// touch a file on the transfer thread; they are below `crashResumeBytes`, so a killed
    /// process loses nothing it would otherwise have resumed.
    static let memoryBodyBytes: Int64 = 1 << 20

    /// A large body is handed to the disk in steps of this many bytes while it arrives, so
    /// that the sync before it is stored waits only for the last step.
    static let writebackStepBytes: Int64 = 8 << 20

    private var url: String { request.url }
    private var maxBytes: Int64 { settings.download.maxBytes }

    private func configure() throws(DownloadFailure) {
        let download = settings.download
        let this = Unmanaged.passUnretained(self).toOpaque()
        try easy.set(CURLOPT_URL, url)
        try easy.set(CURLOPT_NOSIGNAL, 1)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try easy.set(CURLOPT_FOLLOWLOCATION, 1)
        try easy.set(CURLOPT_MAXREDIRS, download.maxRedirects)
        try easy.set(CURLOPT_USERAGENT, download.userAgent)
        try easy.set(CURLOPT_CONNECTTIMEOUT, download.connectTimeoutSeconds)
        try easy.set(CURLOPT_TIMEOUT, download.timeoutSeconds)
        try easy.set(CURLOPT_LOW_SPEED_LIMIT, download.lowSpeedBytesPerSecond)
        try easy.set(CURLOPT_LOW_SPEED_TIME, download.lowSpeedSeconds)
        try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
        try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
        // A proxy from the environment would be the only address ever connected to, which
        // would defeat the address policy; intake connects directly.
        try easy.set(CURLOPT_PROXY, "")
        try easy.set(CURLOPT_BUFFERSIZE, 256 * 1024)
        try easy.set(CURLOPT_HEADERFUNCTION, function: Transfer.headerCallback)
        try easy.set(CURLOPT_HEADERDATA, pointer: this)
        try easy.set(CURLOPT_WRITEFUNCTION, function: Transfer.writeCallback)
        try easy.set(CURLOPT_WRITEDATA, pointer: this)
        try easy.setOpenSocket(Transfer.openSocketCallback)
        try easy.set(CURLOPT_OPENSOCKETDATA, pointer: this)
    }

    /// Takes up an earlier attempt's partial body: hashes its bytes again (the digest state is
    /// not saved between attempts) and asks only for the rest.
    private func resumeIfPossible() throws(DownloadFailure) {
        guard let partial = request.partial.resumable(url: url) else { return }
        let path = request.partial.body
        do {
            let file = try FileIO.open(path, O_RDWR)
            descriptor = file
            hasher.offload()
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            while true {
                let count = try buffer.withUnsafeMutableBytes { raw throws(StoreError) in
                    try FileIO.read(file, into: raw, path: path)
                }
                if count == 0 { break }
                buffer.withUnsafeBytes { raw in
                    accept(UnsafeRawBufferPointer(rebasing: raw[0..<count]))
                }
            }
        } catch {
            request.partial.discard()
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
            hasher.reset()
            written = 0
            prefix = []
            return
        }
        rangeStart = written
        ifRange = partial.ifRange
        validatorWritten = true
        try easy.set(CURLOPT_RANGE, "\(written)-")
        try easy.setHeaders(["If-Range: \(partial.ifRange)"])
    }

    /// Hashes bytes that are in the partial body and keeps the first ones for libmagic.
    private func accept(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bytes)
        if prefix.count < settings.classifyBytes {
            prefix.append(contentsOf: bytes.prefix(settings.classifyBytes - prefix.count))
        }
        written += Int64(bytes.count)
    }

    // MARK: - Callbacks

    private static let headerCallback: curl_write_callback = { buffer, size, count, context in
        let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
        return transfer.header(bytes) ? size * count : 0
    }

    private static let writeCallback: curl_write_callback = { buffer, size, count, context in
        let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: buffer, count: size * count)
        return transfer.body(bytes) ? size * count : 0
    }

    private static let openSocketCallback: curl_opensocket_callback = {
        context, _, address in
        let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
        guard let address else { return CURL_SOCKET_BAD }
        return transfer.openSocket(address)
    }

    /// Opens the socket for a connection curl is about to make, unless the address policy
    /// refuses the address: then nothing is sent, not even a SYN.
    private func openSocket(_ address: UnsafeMutablePointer<curl_sockaddr>) -> curl_socket_t {
        let family = address.pointee.family
        let offset = MemoryLayout<curl_sockaddr>.offset(of: \curl_sockaddr.addr)!
        let socketAddress = UnsafeRawPointer(address) + offset
        guard policy.allows(socketAddress, family: family) else {
            blockedAddress = AddressPolicy.text(socketAddress, family: family) ?? "?"
            return CURL_SOCKET_BAD
        }
        let type = address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue)
        return socket(family, type, address.pointee.protocol)
    }

    /// One header line of any response in the chain (redirects included).
    /// Parsed on the bytes, without Foundation: this runs for every header line of every
    /// response on the transfer thread, and string trimming through `NSString` was a sixth
    /// of the time of a thousand small downloads.
    private func header(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let line = Transfer.trimmed(bytes[...])
        if line.starts(with: "HTTP/".utf8) {
            response = ResponseHeaders()
            if let space = line.firstIndex(of: UInt8(ascii: " ")) {
                let rest = line[(space + 1)...]
                let digits = rest.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
                response.status = Int(String(decoding: digits, as: UTF8.self)) ?? 0
            }
            inBody = false
            return true
        }
        if line.isEmpty {
            guard (200...299).contains(response.status) else { return true }
            return beginBody()
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return true }
        let name = line[..<colon]
        guard
            let known = Transfer.knownHeaders.first(where: { Transfer.equalsLowercased(name, $0) })
        else { return true }
        let value = String(decoding: Transfer.trimmed(line[(colon + 1)...]), as: UTF8.self)
        switch known {
        case "content-length": response.contentLength = Int64(value)
        case "etag": response.etag = value
        case "last-modified": response.lastModified = value
        case "retry-after": response.retryAfter = value
        case "content-range": response.contentRangeStart = Transfer.rangeStart(value)
        default: break
        }
        return true
    }

    /// The response headers the transfer reads, lowercase.
    private static let knownHeaders = [
        "content-length", "etag", "last-modified", "retry-after", "content-range",
    ]

    /// `bytes` without leading and trailing spaces, tabs, CR and LF.
    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>)
        -> Slice<UnsafeRawBufferPointer>
    {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && blank(bytes[start]) { start += 1 }
        while end > start && blank(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    /// True when the ASCII `name` equals the lowercase `known`, ignoring case.
    private static func equalsLowercased(_ name: Slice<UnsafeRawBufferPointer>, _ known: String)
        -> Bool
    {
        guard name.count == known.utf8.count else { return false }
        return zip(name, known.utf8).allSatisfy { byte, lower in
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            return folded == lower
        }
    }

    /// The first byte position of `bytes START-END/TOTAL`.
    private static func rangeStart(_ value: String) -> Int64? {
        guard value.hasPrefix("bytes ") else { return nil }
        let range = value.dropFirst(6)
        guard let dash = range.firstIndex(of: "-") else { return nil }
        return Int64(range[..<dash])
    }

    /// The headers of a 2xx response are complete: decide whether its body continues the
    /// partial file (206 from the kept offset) or replaces it (200: the server ignored the
    /// range, or the resource changed and `If-Range` failed).
    private func beginBody() -> Bool {
        if response.status == 206 {
            guard rangeStart > 0, response.contentRangeStart == rangeStart else {
                failure = DownloadFailure(
                    code: "network_error",
                    message: "\(url) answered a range request with a range that was not "
                        + "asked for",
                    transient: true)
                return false
            }
            resumedFrom = rangeStart
        } else {
            if written > 0 && memory != nil {
                memory!.removeAll(keepingCapacity: true)
                hasher.reset()
                prefix = []
                written = 0
            } else if written > 0 {
                guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
                    failure = DownloadFailure.store(
                        url,
                        .system(function: "ftruncate", path: request.partial.body, errno: errno))
                    return false
                }
                hasher.reset()
                prefix = []
                written = 0
                writebackFrom = 0
            }
            resumedFrom = 0
            ifRange = Transfer.validator(etag: response.etag, lastModified: response.lastModified)
            // The validator is written now only for bodies worth resuming after a crash of the
            // whole process; any other cut-off body records it when the attempt fails.
            let large = (response.contentLength ?? Int64.max) >= Transfer.crashResumeBytes
            if let ifRange, large {
                request.partial.begin(url: url, ifRange: ifRange)
                validatorWritten = true
            } else if rangeStart > 0 {
                FileIO.remove(request.partial.validator)
            }
        }
        if let length = response.contentLength, written + length > maxBytes {
            failure = .tooLarge(url, bytes: written + length, limit: maxBytes)
            return false
        }
        if descriptor < 0 && memory == nil {
            if let length = response.contentLength, length < Transfer.memoryBodyBytes,
                budget.reserve(Int(length))
            {
                reserved = Int(length)
                memory = []
                memory!.reserveCapacity(reserved)
            } else if !openFile() {
                return false
            }
        }
        inBody = true
        return true
    }

    /// Opens the partial file for a body written to disk.
    private func openFile() -> Bool {
        hasher.offload()
        do {
            descriptor = try FileIO.open(
                request.partial.body, O_WRONLY | O_CREAT | O_TRUNC, mode: settings.fileMode)
            return true
        } catch {
            failure = .store(url, error)
            return false
        }
    }

    /// Moves a body held in memory to the partial file (it outgrew its announced length, or
    /// it is kept for the next attempt) and gives its memory back.
    private func spill() -> Bool {
        guard let bytes = memory else { return true }
        memory = nil
        budget.release(reserved)
        reserved = 0
        guard openFile() else { return false }
        do throws(StoreError) {
            try FileIO.write(descriptor, bytes, path: request.partial.body)
            return true
        } catch {
            failure = .store(url, error)
            return false
        }
    }

    /// A value for `If-Range`: a strong ETag, else the Last-Modified date (RFC 9110 13.1.5
    /// allows no weak ETag there).
    private static func validator(etag: String?, lastModified: String?) -> String? {
        if let etag, etag.hasPrefix("\"") { return etag }
        return lastModified
    }

    /// Body bytes of the current response. Bodies of error responses are read and dropped,
    /// so the connection stays usable.
    private func body(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard inBody else { return true }
        if written + Int64(bytes.count) > maxBytes {
            failure = .tooLarge(url, bytes: written + Int64(bytes.count), limit: maxBytes)
            return false
        }
        if memory != nil, memory!.count + bytes.count > reserved, !spill() {
            return false
        }
        if memory != nil {
            memory!.append(contentsOf: bytes)
        } else {
            do {
                try FileIO.write(descriptor, bytes, path: request.partial.body)
            } catch {
                failure = .store(url, error)
                return false
            }
        }
        accept(bytes)
        if startsWriteback && memory == nil
            && written - writebackFrom >= Transfer.writebackStepBytes
        {
            // Only a hint to the kernel: a failure here shows up again in the sync that
            // decides whether the body is stored.
            _ = intake_start_writeback(descriptor, writebackFrom, written - writebackFrom)
            writebackFrom = written
        }
        if mimeType == nil && prefix.count >= settings.classifyBytes {
            return classify()
        }
        return true
    }

    /// Asks libmagic about the first bytes; false (and a failure) for anything but an image
    /// when images are required.
    private func classify() -> Bool {
        let type = prefix.withUnsafeBytes { raw in
            (try? magic.mimeType(of: raw)) ?? "application/octet-stream"
        }
        mimeType = type
        if settings.requireImage && !Store.isImage(mimeType: type) {
            failure = .notAnImage(url, mimeType: type)
            return false
        }
        return true
    }

    // MARK: - Completion

    /// Ends the transfer with curl's result: a complete body handed over with its open
    /// descriptor, or a classified failure. A body cut off by a transient failure is kept
    /// for the next attempt when it can be resumed; every other partial body is removed.
    func finish(_ code: CURLcode) -> TransferResult {
        let result = outcome(code)
        switch result {
        case .body:
            descriptor = -1
            memory = nil
            reserved = 0
        case .failed(let failure):
            keepOrDiscard(transient: failure.transient)
        }
        return result
    }

    /// Ends a transfer that never reached curl's end (cancelled, or the downloader stopped).
    func abandon(_ failure: DownloadFailure) -> TransferResult {
        keepOrDiscard(transient: true)
        return .failed(failure)
    }

    private func outcome(_ code: CURLcode) -> TransferResult {
        if code != CURLE_OK {
            return .failed(failure ?? curlFailure(code))
        }
        let status = easy.info(CURLINFO_RESPONSE_CODE)
        guard (200...299).contains(status) else {
            if status >= 400 {
                return .failed(.http(url, status: status, retryAfter: retryAfterDate()))
            }
            return .failed(.http(url, status: status, retryAfter: nil))
        }
        guard inBody, written > 0 else {
            return .failed(.notAnImage(url, mimeType: "an empty body"))
        }
        if mimeType == nil && !classify() {
            return .failed(failure!)
        }
        let content: PendingOriginal.Content =
            if let memory { .memory(memory) } else {
                .file(descriptor: descriptor, path: request.partial.body)
            }
        return .body(
            CompletedBody(
                content: content, reservedBytes: reserved, sha256: hasher.finish(),
                bytes: written, mimeType: mimeType!,
                finalURL: easy.info(string: CURLINFO_EFFECTIVE_URL) ?? url, httpStatus: status,
                resumedFromBytes: resumedFrom, hasValidator: validatorWritten))
    }

    private func keepOrDiscard(transient: Bool) {
        let keep = transient && written > 0 && ifRange != nil && spill()
        if keep, descriptor >= 0, fsync(descriptor) == 0 {
            request.partial.keep(url: url, ifRange: ifRange!, bytes: written)
        } else {
            request.partial.discard()
        }
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        memory = nil
        budget.release(reserved)
        reserved = 0
    }

    /// `Retry-After` as a time: seconds from now, or an HTTP date (parsed by curl_getdate).
    private func retryAfterDate() -> Date? {
        guard let value = response.retryAfter else { return nil }
        if let seconds = Int(value), seconds >= 0 {
            return Date(timeIntervalSinceNow: TimeInterval(seconds))
        }
        let time = curl_getdate(value, nil)
        return time < 0 ? nil : Date(timeIntervalSince1970: TimeInterval(time))
    }

    private func curlFailure(_ code: CURLcode) -> DownloadFailure {
        if let blockedAddress {
            return .blockedAddress(url, address: blockedAddress)
        }
        let detail = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return DownloadFailure(
                code: "timeout",
                message: "\(url): \(detail) (download.connect_timeout_s, timeout_s and the "
                    + "low-speed limit apply)",
                transient: true)
        case CURLE_TOO_MANY_REDIRECTS:
            return DownloadFailure(
                code: "too_many_redirects",
                message: "\(url) redirected more than download.max_redirects "
                    + "(\(settings.download.maxRedirects)) times",
                transient: false)
        case CURLE_UNSUPPORTED_PROTOCOL:
            return .blockedScheme(url)
        case CURLE_URL_MALFORMAT:
            return .invalidURL(url, detail)
        case CURLE_FILESIZE_EXCEEDED:
            return .tooLarge(url, bytes: maxBytes + 1, limit: maxBytes)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return DownloadFailure(
                code: "network_error", message: "\(url): TLS verification failed: \(detail)",
                transient: false)
        default:
            return DownloadFailure(
                code: "network_error", message: "\(url): \(detail)", transient: true)
        }
    }
}
