import CCurl
import SwitchboardAdapterAPI

/// An HTTP(S) exchange: turns an ``HTTPRequest`` into easy-handle options and collects the
/// answer from curl's callbacks.
///
/// `@unchecked Sendable` because the response buffers are mutable: they are written only by
/// curl callbacks on the loop thread, and read there in `complete`. The transfer reaches that
/// thread through ``CurlMultiLoop``'s mutex, which orders everything written before the
/// hand-over. The continuation has its own lock (``Completion``).
final class HTTPTransfer: CurlTransfer, @unchecked Sendable {
    /// A misbehaving endpoint must not be able to exhaust the gateway's memory.
    static let maxResponseBytes = 64 * 1024 * 1024

    let completion = Completion<HTTPResponse>()
    private let request: HTTPRequest
    private let userAgent: String
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var headers = ResponseHeaders()
    private var body: [UInt8] = []
    private var bodyTooLarge = false

    init(request: HTTPRequest, userAgent: String) {
        self.request = request
        self.userAgent = userAgent
    }

    deinit {
        // Safe to free here: the loop holds the transfer until its handle has left the multi
        // handle and been reset, so curl no longer references the list.
        curl_slist_free_all(headerList)
    }

    func configure(_ easy: CurlEasy) throws(TransportError) {
        try easy.prepare(timeout: request.timeout)
        try easy.set(CURLOPT_URL, request.url)
        // Never let a configured URL reach file://, gopher:// and friends.
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        // A redirect is an answer the adapter should see, not something to chase silently.
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        try easy.set(CURLOPT_ACCEPT_ENCODING, "")
        try easy.set(CURLOPT_USERAGENT, userAgent)
        try configureMethod(easy)
        try configureHeaders(easy)
        try configureCallbacks(easy)
    }

    func complete(_ easy: CurlEasy, code: CURLcode) {
        if bodyTooLarge {
            fail(TransportError("response too large: body exceeds \(Self.maxResponseBytes) bytes"))
        } else if code == CURLE_OK {
            let status = easy.info(CURLINFO_RESPONSE_CODE)
            completion.resume(with: .success(HTTPResponse(status: status, headers: headers.fields, body: body)))
        } else {
            fail(easy.error(for: code))
        }
    }

    func fail(_ error: any Error) {
        completion.resume(with: .failure(error))
    }

    private func configureMethod(_ easy: CurlEasy) throws(TransportError) {
        let method = request.method.uppercased()
        if method == "HEAD" {
            try easy.set(CURLOPT_NOBODY, 1)
            return
        }
        let sendsBody = !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(method)
        guard sendsBody else {
            try easy.set(CURLOPT_HTTPGET, 1)
            if method != "GET" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
            return
        }
        // POST mode is curl's only in-memory upload path; CUSTOMREQUEST then renames the verb.
        // The size must be set before COPYPOSTFIELDS so binary bodies with NULs survive.
        try easy.set(CURLOPT_POST, 1)
        let sizeCode = sb_easy_setopt_off_t(easy.handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
        let copyCode: CURLcode =
            request.body.isEmpty
            ? "".withCString { sb_easy_setopt_pointer(easy.handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0)) }
            : request.body.withUnsafeBytes {
                sb_easy_setopt_pointer(easy.handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: $0.baseAddress))
            }
        guard sizeCode == CURLE_OK, copyCode == CURLE_OK else {
            throw TransportError("could not configure transfer: request body rejected by curl")
        }
        if method != "POST" { try easy.set(CURLOPT_CUSTOMREQUEST, method) }
    }

    private func configureHeaders(_ easy: CurlEasy) throws(TransportError) {
        // 100-continue would add a round trip (or a 1 s stall) to every upload.
        var lines = ["Expect:"]
        let hasContentType = request.headers.contains { $0.name.caseInsensitiveCompare("Content-Type") == .orderedSame }
        if !hasContentType {
            // Otherwise curl labels every body as a form, which it almost never is here.
            lines.append("Content-Type:")
        }
        for (name, value) in request.headers {
            // CR/LF would let a configured value smuggle extra headers; NUL would truncate it.
            let forbidden: Set<UInt8> = [0, 10, 13]
            guard !name.isEmpty, !name.utf8.contains(UInt8(ascii: ":")),
                !name.utf8.contains(where: forbidden.contains), !value.utf8.contains(where: forbidden.contains)
            else {
                throw TransportError("invalid request header \(name.debugDescription)")
            }
            // "Name:" would delete the header; curl's "Name;" form sends it with an empty value.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        for line in lines {
            guard let list = curl_slist_append(headerList, line) else {
                throw TransportError("could not configure transfer: out of memory")
            }
            headerList = list
        }
        let code = sb_easy_setopt_slist(easy.handle, CURLOPT_HTTPHEADER, headerList)
        guard code == CURLE_OK else { throw TransportError("could not configure transfer: headers rejected by curl") }
    }

    private func configureCallbacks(_ easy: CurlEasy) throws(TransportError) {
        // Unretained is enough: the loop keeps the transfer alive while its handle is active.
        let me = Unmanaged.passUnretained(self).toOpaque()
        let codes = [
            sb_easy_setopt_write_callback(easy.handle) { buffer, size, count, userdata in
                guard let userdata else { return 0 }
                let transfer = Unmanaged<HTTPTransfer>.fromOpaque(userdata).takeUnretainedValue()
                let length = size * count
                guard transfer.body.count + length <= HTTPTransfer.maxResponseBytes else {
                    transfer.bodyTooLarge = true
                    return 0  // any short count makes curl abort the transfer
                }
                if let buffer, length > 0 {
                    transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length))
                }
                return length
            },
            sb_easy_setopt_pointer(easy.handle, CURLOPT_WRITEDATA, me),
            sb_easy_setopt_header_callback(easy.handle) { buffer, size, count, userdata in
                guard let userdata else { return 0 }
                let transfer = Unmanaged<HTTPTransfer>.fromOpaque(userdata).takeUnretainedValue()
                let length = size * count
                if let buffer, length > 0 {
                    transfer.headers.consume(UnsafeRawBufferPointer(start: buffer, count: length))
                }
                return length
            },
            sb_easy_setopt_pointer(easy.handle, CURLOPT_HEADERDATA, me),
        ]
        guard codes.allSatisfy({ $0 == CURLE_OK }) else {
            throw TransportError("could not configure transfer: callbacks rejected by curl")
        }
    }
}
