import Foundation

/// The commented configuration `intake init` writes. The same text is `etc/intake.toml` in the
/// repository; a test keeps the two identical and checks that they parse to the defaults.
public enum ConfigurationTemplate {
    public static let text = """
        # intake.toml: the configuration of intake. Every key is shown with its built-in default;
        # delete a line to keep the default, change it to override. An unknown key, a wrong type or
        # an out-of-range value stops `intake run` with the file, line and key named.

        [inbox]
        settle_ms = 300               # a file is taken once unchanged (size, mtime) this long, in ms
        rescan_s = 60                 # full rescan of the inbox every this many seconds (safety net)
        ignore = []                   # extra glob patterns of names never taken, e.g. ["*.xmp"]
        recursive = true              # watch subfolders too
        max_urls = 1_000_000          # a URL list with more lines than this is refused

        [download]
        concurrency = 8               # transfers at once, all hosts together
        per_host = 2                  # transfers at once to one host
        connect_timeout_s = 10        # time allowed to connect, in seconds
        timeout_s = 300               # time allowed for a whole transfer, in seconds
        low_speed_bytes_per_s = 1024  # a transfer slower than this ...
        low_speed_s = 30              # ... for this many seconds is cut off as a timeout
        max_bytes = 209_715_200       # largest original accepted (200 MiB)
        max_redirects = 5             # redirects followed before too_many_redirects
        max_attempts = 6              # attempts before a transient failure becomes final
        user_agent = "intake/0.1.0"   # User-Agent header sent with every request
        allow_private_addresses = false  # true lets URLs reach loopback and private networks

        [metadata]
        concurrency = 2               # metadata jobs at once
        max_attempts = 3              # attempts before a transient failure becomes final

        [analysis]
        concurrency = 0               # analysis jobs at once; 0: one more than the CPU cores
        max_attempts = 3              # attempts before a transient failure becomes final
        near_duplicate_bits = 8       # pHash distance (bits) within which images are near duplicates
        thumbnail_px = 256            # longest side of the WebP thumbnail, in pixels
        max_pixels = 100_000_000      # images with more pixels are refused as too_large
        command = []                  # external analyzer as an argument list, e.g. ["/usr/bin/x", "-q"]
        command_timeout_s = 60        # the external analyzer is killed after this many seconds

        [store]
        duplicates = "skip"           # content already stored: "skip" completes at once, "reprocess"

        [plugins]
        timeout_s = 60                # a plugin run longer than this is killed and retried
        max_attempts = 5              # runs of one event before it goes to failed/
        concurrency = 4               # plugins running at once

        [spool]
        retention_days = 14           # spool/events/ keeps this many days of events

        [log]
        level = "info"                # debug, info, warning or error
        format = "text"               # text for people, json for machines

        [files]
        file_mode = "0600"            # mode of files intake creates (widen for group access)
        folder_mode = "0700"          # mode of folders intake creates
        min_free_mb = 64              # below this much free space, intake pauses taking work

        """

    /// Writes the template to `path`, created with `mode`, never replacing an existing file.
    static func write(to path: String, mode: UInt32) throws(HomeError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else {
            throw HomeError.system(function: "open", path: path, errno: errno)
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard Glibc.write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0
        else {
            throw HomeError.system(function: "write", path: path, errno: errno)
        }
    }
}
