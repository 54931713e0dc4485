import CCurl
import Foundation
import SwitchboardAdapterAPI

/// One curl easy handle plus the error buffer curl writes its detailed messages into.
///
/// Confined to the loop thread: it is created, configured, driven and destroyed there, so it
/// needs no lock and is deliberately not `Sendable`.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init?() {
        guard let handle = curl_easy_init() else { return nil }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Options every transfer needs whatever its protocol, so HTTP, SMTP or IMAP transfers
    /// only add what is specific to them.
    func prepare(timeout: Duration) throws(TransportError) {
        errorBuffer[0] = 0
        let totalMs = Self.milliseconds(timeout)
        // Signals are process-wide and would interrupt unrelated threads; the threaded resolver
        // makes them unnecessary for DNS timeouts.
        try set(CURLOPT_NOSIGNAL, 1)
        try check(sb_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
        try set(CURLOPT_TIMEOUT_MS, totalMs)
        try set(CURLOPT_CONNECTTIMEOUT_MS, min(totalMs, 10_000))
    }

    /// Forgets every option but keeps the handle (and its caches) for the next transfer.
    func reset() {
        curl_easy_reset(handle)
        errorBuffer[0] = 0
    }

    func set(_ option: CURLoption, _ value: Int) throws(TransportError) {
        try check(sb_easy_setopt_long(handle, option, value))
    }

    /// curl copies string options, so `value` need not outlive the call.
    func set(_ option: CURLoption, _ value: String) throws(TransportError) {
        let code = value.withCString { sb_easy_setopt_string(handle, option, $0) }
        try check(code)
    }

    func info(_ info: CURLINFO) -> Int {
        var value = 0
        _ = sb_easy_getinfo_long(handle, info, &value)
        return value
    }

    /// Turns a failed transfer into a message an operator (or an agent reading delivery logs)
    /// can act on: a short category, then curl's own detail, which names host and port.
    func error(for code: CURLcode) -> TransportError {
        let detail =
            errorBuffer[0] != 0
            ? String(cString: errorBuffer)
            : String(cString: curl_easy_strerror(code))
        let category: String
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            category = "DNS lookup failed"
        case CURLE_COULDNT_CONNECT:
            category = info(CURLINFO_OS_ERRNO) == Int(ECONNREFUSED) ? "connection refused" : "could not connect"
        case CURLE_OPERATION_TIMEDOUT:
            category = "timed out"
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE:
            category = "TLS error"
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            category = "connection lost"
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            category = "invalid URL"
        default:
            category = "transfer failed"
        }
        return TransportError("\(category): \(detail)")
    }

    private func check(_ code: CURLcode) throws(TransportError) {
        guard code == CURLE_OK else {
            throw TransportError("could not configure transfer: \(String(cString: curl_easy_strerror(code)))")
        }
    }

    /// curl treats 0 as "no timeout", so a zero or negative duration is clamped to 1 ms rather
    /// than silently disabling the limit.
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let clampedSeconds = min(max(seconds, 0), 1_000_000_000)
        let ms = clampedSeconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int(max(ms, 1))
    }
}
