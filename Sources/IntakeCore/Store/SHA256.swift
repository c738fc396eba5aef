import CCrypto

/// A running SHA-256 digest over OpenSSL's EVP interface: bytes are fed as they arrive and the
/// hex digest is taken at the end. Owns its `EVP_MD_CTX` and frees it in `deinit`.
///
/// Not `Sendable`: one digest belongs to one reader or one transfer at a time.
final class SHA256 {
    private let context: OpaquePointer

    /// The lowercase hex digest of `bytes` (a whole file in memory).
    static func digest(_ bytes: UnsafeRawBufferPointer) -> String {
        let digest = SHA256()
        digest.update(bytes)
        return digest.finish()
    }

    /// A digest over no bytes yet.
    init() {
        guard let context = EVP_MD_CTX_new() else {
            preconditionFailure("EVP_MD_CTX_new: out of memory")
        }
        self.context = context
        reset()
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Starts over, forgetting every byte fed so far (a server ignored a range request).
    func reset() {
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            preconditionFailure("EVP_DigestInit_ex(sha256) failed")
        }
    }

    /// Feeds `bytes` into the digest.
    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
            preconditionFailure("EVP_DigestUpdate failed")
        }
    }

    /// The lowercase hex digest of every byte fed. The digest cannot be fed afterwards until
    /// `reset()`.
    func finish() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &digest, &length) == 1 else {
            preconditionFailure("EVP_DigestFinal_ex failed")
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(Int(length) * 2)
        for byte in digest[0..<Int(length)] {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
