import CCurl

/// One libcurl multi handle: many transfers driven by one thread, sharing a connection cache
/// so that requests to the same host reuse connections. Owns the handle and frees it in
/// `deinit`.
final class CurlMulti: Sendable {
    // Only the driving thread calls anything but `wakeup()`, which curl_multi_wakeup(3)
    // documents as callable from any thread; that is what makes sharing the pointer safe.
    private nonisolated(unsafe) let handle: UnsafeMutableRawPointer

    /// A multi handle that keeps at most `connections` connections open in all and at most
    /// `perHost` to one host.
    init(connections: Int, perHost: Int) {
        CurlEasy.globalSetUp
        guard let handle = curl_multi_init() else {
            preconditionFailure("curl_multi_init: out of memory")
        }
        self.handle = handle
        _ = intake_curl_multi_setopt_long(handle, CURLMOPT_MAX_TOTAL_CONNECTIONS, connections)
        _ = intake_curl_multi_setopt_long(handle, CURLMOPT_MAX_HOST_CONNECTIONS, perHost)
        _ = intake_curl_multi_setopt_long(handle, CURLMOPT_MAXCONNECTS, connections)
    }

    deinit {
        curl_multi_cleanup(handle)
    }

    func add(_ easy: CurlEasy) {
        let code = curl_multi_add_handle(handle, easy.handle)
        precondition(code == CURLM_OK, "curl_multi_add_handle: \(code.rawValue)")
    }

    func remove(_ easy: CurlEasy) {
        _ = curl_multi_remove_handle(handle, easy.handle)
    }

    /// Moves every transfer as far as it can go without blocking.
    func perform() {
        var running: Int32 = 0
        _ = curl_multi_perform(handle, &running)
    }

    /// The transfers that finished since the last call: each easy handle with its result.
    func finished() -> [(easy: UnsafeMutableRawPointer, result: CURLcode)] {
        var results: [(UnsafeMutableRawPointer, CURLcode)] = []
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(handle, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle
            else { continue }
            results.append((easy, message.pointee.data.result))
        }
        return results
    }

    /// Waits until a socket is ready, a timer is due, `wakeup()` is called, or
    /// `timeoutMillis` pass.
    func poll(timeoutMillis: Int32) {
        var ready: Int32 = 0
        _ = curl_multi_poll(handle, nil, 0, timeoutMillis, &ready)
    }

    /// Ends a `poll` early; safe from any thread.
    func wakeup() {
        _ = curl_multi_wakeup(handle)
    }
}
