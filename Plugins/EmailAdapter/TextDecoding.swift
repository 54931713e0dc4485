internal import CGMime

/// Turns body bytes in whatever charset they claim (or none) into Swift text.
enum TextDecoding {
    /// Declared charset first (through iconv, with GMime's alias table for names like
    /// `ks_c_5601-1987`), then UTF-8, then GMime's 8-bit guess from the parser's fallback charsets.
    /// A wrong label is common, so a failed conversion falls through instead of failing the message.
    static func text(_ bytes: [UInt8], charset: String?, options: OpaquePointer?) -> String {
        if bytes.isEmpty { return "" }
        if let charset = charset?.trimmed.lowercased(), !charset.isEmpty,
            !["utf-8", "utf8", "us-ascii", "ascii"].contains(charset),
            let converted = convert(bytes, from: charset)
        {
            return converted
        }
        if let utf8 = String(validating: bytes, as: UTF8.self) { return utf8 }
        return bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                GMimeRuntime.takeString(g_mime_utils_decode_8bit(options, chars.baseAddress, chars.count))
            }
        } ?? String(decoding: bytes, as: UTF8.self)
    }

    private static func convert(_ bytes: [UInt8], from charset: String) -> String? {
        guard let iconvName = g_mime_charset_iconv_name(charset) else { return nil }
        var written: gsize = 0
        var error: UnsafeMutablePointer<GError>?
        let output = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                g_convert(chars.baseAddress, gssize(chars.count), "UTF-8", iconvName, nil, &written, &error)
            }
        }
        if let error { g_error_free(error) }
        guard let output else { return nil }
        defer { g_free(output) }
        return output.withMemoryRebound(to: UInt8.self, capacity: Int(written)) {
            String(decoding: UnsafeBufferPointer(start: $0, count: Int(written)), as: UTF8.self)
        }
    }
}
