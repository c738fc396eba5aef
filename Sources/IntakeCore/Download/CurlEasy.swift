import CCurl

/// One libcurl easy handle: the options of one transfer. Owns the handle and the header list
/// it was given, and frees both in `deinit`.
///
/// Not `Sendable`: a handle is used by the thread that drives its multi handle only.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?

    /// libcurl's process-wide set-up, done once before the first handle
    /// (`curl_global_init(3)`: not thread-safe, so it runs in a lazily initialised global).
    static let globalSetUp: Void = {
        let code = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        precondition(code == CURLE_OK, "curl_global_init failed: \(code.rawValue)")
    }()

    init() {
        CurlEasy.globalSetUp
        guard let handle = curl_easy_init() else {
            preconditionFailure("curl_easy_init: out of memory")
        }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
    }

    func set(_ option: CURLoption, _ value: Int) throws(DownloadFailure) {
        try check(intake_curl_easy_setopt_long(handle, option, value), option)
    }

    func set(_ option: CURLoption, _ value: String) throws(DownloadFailure) {
        // libcurl copies string options (curl_easy_setopt(3)), so the C string may go away.
        try check(intake_curl_easy_setopt_string(handle, option, value), option)
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws(DownloadFailure) {
        try check(intake_curl_easy_setopt_pointer(handle, option, pointer), option)
    }

    func set(_ option: CURLoption, function: curl_write_callback) throws(DownloadFailure) {
        try check(intake_curl_easy_setopt_write_function(handle, option, function), option)
    }

    func setOpenSocket(_ function: curl_opensocket_callback) throws(DownloadFailure) {
        try check(
            intake_curl_easy_setopt_opensocket_function(handle, function),
            CURLOPT_OPENSOCKETFUNCTION)
    }

    /// Sets the extra request headers; the list lives as long as the handle.
    func setHeaders(_ headers: [String]) throws(DownloadFailure) {
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers {
            list = curl_slist_append(list, header)
        }
        curl_slist_free_all(headerList)
        headerList = list
        try check(
            intake_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, list), CURLOPT_HTTPHEADER)
    }

    func info(_ item: CURLINFO) -> Int {
        var value = 0
        _ = intake_curl_easy_getinfo_long(handle, item, &value)
        return value
    }

    func info(string item: CURLINFO) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard intake_curl_easy_getinfo_string(handle, item, &value) == CURLE_OK, let value else {
            return nil
        }
        return String(cString: value)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(DownloadFailure) {
        guard code == CURLE_OK else {
            throw DownloadFailure(
                code: "network_error",
                message: "curl_easy_setopt(\(option.rawValue)): "
                    + String(cString: curl_easy_strerror(code)),
                transient: false)
        }
    }
}
