import Foundation
import Hummingbird
import SwitchboardAdapterAPI

/// The answer to `GET /api/v1/messages/{id}/attachments/{index}`: the stored bytes as a download.
/// Everything in the headers came from a customer's mail, so nothing is copied into them unchecked:
/// the type must look like a media type, and the file name travels percent-encoded (RFC 6266 /
/// 8187) with an ASCII fallback, so no CR, LF or quote can end the header early.
enum AttachmentDownload {
    static func response(_ attachment: Attachment, content: Data, index: Int) -> Response {
        var headers: HTTPFields = [
            .contentType: mediaType(attachment.mimeType),
            .contentDisposition: disposition(fileName: attachment.fileName ?? "attachment-\(index)"),
            .cacheControl: "private, no-store",
        ]
        headers[.xContentTypeOptions] = "nosniff"
        // Opened directly (not saved), an HTML or SVG file still runs nothing and reaches nothing.
        headers[.contentSecurityPolicy] = "default-src 'none'; sandbox"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: content)))
    }

    /// `type/subtype` as the sender declared it when it is one; otherwise a plain byte stream.
    static func mediaType(_ declared: String?) -> String {
        guard let declared = declared?.lowercased() else { return "application/octet-stream" }
        let parts = declared.split(separator: "/", omittingEmptySubsequences: false)
        let isToken = { (part: Substring) in
            !part.isEmpty && part.utf8.count <= 127 && part.utf8.allSatisfy { tokenBytes.contains($0) }
        }
        guard parts.count == 2, isToken(parts[0]), isToken(parts[1]) else { return "application/octet-stream" }
        return declared
    }

    /// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded`. A customer names the
    /// file, so neither form may carry a path: `/` and `\` become `_` in both (a client that
    /// saves under the plain `filename` must not be walked into another folder), as do control
    /// characters; the plain form also loses quotes and everything outside printable ASCII.
    static func disposition(fileName: String) -> String {
        let safe = String(
            String.UnicodeScalarView(
                fileName.unicodeScalars.map { scalar in
                    scalar == "/" || scalar == "\\" || scalar.properties.generalCategory == .control ? "_" : scalar
                }))
        let name = safe.isEmpty ? "attachment" : safe
        let fallback = String(
            String.UnicodeScalarView(
                name.unicodeScalars.map { scalar in
                    scalar.isASCII && scalar.value >= 0x20 && scalar.value != 0x7F && scalar != "\"" ? scalar : "_"
                }))
        var encoded = ""
        for byte in name.utf8 {
            if attrCharBytes.contains(byte) {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded
            }
        }
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }

    /// RFC 8187 `attr-char`: what may stand unencoded in `filename*`.
    private static let attrCharBytes = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~".utf8))
    /// RFC 9110 `tchar`, for the two halves of a media type.
    private static let tokenBytes = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~".utf8))
}

extension String {
    /// A one-digit hex byte gets its leading zero.
    fileprivate var leftPadded: String { count == 1 ? "0" + self : self }
}
