import Foundation

/// A `multipart/form-data` request body (RFC 7578) for platforms that take a file upload: text
/// fields and file parts, each file with its name.
public struct MultipartBody: Sendable {
    public let boundary: String
    private var bytes: [UInt8] = []

    public init(boundary: String = "switchboard-" + UUID().uuidString.lowercased()) {
        self.boundary = boundary
    }

    /// The request's `Content-Type` header.
    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    public mutating func field(_ name: String, _ value: String) {
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8)
        bytes += Array(value.utf8)
        bytes += Array("\r\n".utf8)
    }

    /// A file part. The name goes as browsers send it (HTML's form encoding): UTF-8 inside the quotes,
    /// with `"`, CR and LF percent-encoded so it cannot end the header early.
    public mutating func file(_ name: String, fileName: String, mimeType: String, content: Data) {
        let quoted = fileName.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
        bytes += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(quoted)\"\r\n".utf8)
        bytes += Array("Content-Type: \(mimeType)\r\n\r\n".utf8)
        bytes += content
        bytes += Array("\r\n".utf8)
    }

    /// The body, closed with the final boundary.
    public var body: [UInt8] { bytes + Array("--\(boundary)--\r\n".utf8) }
}
