internal import CGMime

/// The process-wide GMime set-up and the small conversions every GMime caller needs.
enum GMimeRuntime {
    /// `g_mime_init` must run once before any other call and must not race with itself; a static
    /// `let` is initialised exactly once, by whichever thread gets there first.
    private static let initialized: Bool = {
        g_mime_init()
        return true
    }()

    static func ensureInitialized() {
        _ = initialized
    }

    /// Parser options for one parse. Raw 8-bit header and body text without a declared charset is
    /// tried as UTF-8 first, then as Windows-1252, which maps every byte (and is what mislabelled
    /// Western mail almost always is), so no text is ever lost.
    static func makeParserOptions() -> OpaquePointer? {
        ensureInitialized()
        let options = g_mime_parser_options_new()
        g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE)
        g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE)
        g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE)
        g_mime_parser_options_set_allow_addresses_without_domain(options, 0)
        withFallbackCharsets { g_mime_parser_options_set_fallback_charsets(options, $0) }
        return options
    }

    private static func withFallbackCharsets(_ body: (UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Void) {
        "UTF-8".withCString { utf8 in
            "windows-1252".withCString { western in
                var list: [UnsafePointer<CChar>?] = [utf8, western, nil]
                list.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
            }
        }
    }

    /// A C string GMime owns (not freed here), as Swift text; invalid UTF-8 is repaired.
    static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// A C string the caller owns: converted, then released with `g_free`.
    static func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        defer { g_free(pointer) }
        return String(cString: pointer)
    }

    /// Everything written to a memory stream so far.
    static func bytes(of stream: UnsafeMutablePointer<GMimeStream>) -> [UInt8] {
        guard let array = cgmime_stream_bytes(stream), let data = array.pointee.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(array.pointee.len)))
    }

    /// The SHA-256 of `bytes` in hex, through GLib (which GMime already links) rather than another
    /// dependency.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            takeString(g_compute_checksum_for_data(G_CHECKSUM_SHA256, buffer.baseAddress, gsize(buffer.count))) ?? ""
        }
    }
}
