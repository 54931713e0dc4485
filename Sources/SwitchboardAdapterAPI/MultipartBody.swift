import Foundation

/// A `multipart/form-data` request body (RFC 7578) for platforms that take a file upload: text
/// fields and file parts, each file with its name (quoted, and RFC 5987-encoded when not ASCII).
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

    public mutating func file(_ name: String, fileName: String, mimeType: String, content: Data) {
        let ascii = String(
            String.UnicodeScalarView(
                fileName.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" && $0.value != 0x7F ? $0 : "_" }))
        var disposition = "form-data; name=\"\(name)\"; filename=\"\(ascii)\""
        if ascii != fileName, let encoded = fileName.addingPercentEncoding(withAllowedCharacters: Self.attrChars) {
            disposition += "; filename*=UTF-8''\(encoded)"
        }
        bytes += Array("--\(boundary)\r\nContent-Disposition: \(disposition)\r\nContent-Type: \(mimeType)\r\n\r\n".utf8)
        bytes += content
        bytes += Array("\r\n".utf8)
    }

    /// The body, closed with the final boundary.
    public var body: [UInt8] { bytes + Array("--\(boundary)--\r\n".utf8) }

    private static let attrChars = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
}
