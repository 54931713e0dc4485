import Foundation
import Hummingbird
import SwitchboardCore

/// `POST /api/v1/uploads`: a file an agent will send with a reply, as the raw body (its
/// `Content-Type`, the name in `?filename=`) or as the `file` part of a `multipart/form-data` form.
struct UploadRoutes {
    let desk: AgentDesk

    struct Answer: Encodable {
        var id: Int64
        var file_name: String
        var mime_type: String
        var size: Int
        var sha256: String
        var expires_at: Date
    }

    func add(to api: RouterGroup<GatewayContext>) {
        api.post("uploads") { request, context in
            let viewer = Viewer(try context.requireAgent())
            var request = request
            // A form carries a little more than the file: its boundaries and part headers.
            let limit = desk.maxUploadBytes + 16 * 1024
            let body: [UInt8]
            do {
                body = try await request.bodyBytes(limit: limit)
            } catch let error as ServiceError where error.status == 413 {
                throw ServiceError(
                    status: 413, code: "upload_too_large", message: "uploads are limited to \(AgentDesk.describeSize(desk.maxUploadBytes))")
            }
            let contentType = request.headers[.contentType] ?? "application/octet-stream"
            var fileName = request.uri.queryParameters.get("filename").map { String($0).removingPercentEncoding ?? String($0) }
            var mimeType: String? = contentType
            var content = body
            if let boundary = MultipartForm.boundary(contentType: contentType) {
                guard let parts = MultipartForm.parse(body, boundary: boundary),
                    let file = parts.first(where: { $0.name == "file" }) ?? parts.first(where: { $0.fileName != nil })
                else {
                    throw ServiceError.badRequest("the form has no 'file' part")
                }
                content = file.content
                fileName = file.fileName ?? fileName
                mimeType = file.contentType ?? "application/octet-stream"
            }
            let upload = try await desk.upload(content: Data(content), fileName: fileName, mimeType: mimeType, by: viewer)
            return JSONResponse.make(
                Answer(
                    id: upload.id, file_name: upload.fileName, mime_type: upload.mimeType, size: upload.size, sha256: upload.sha256,
                    expires_at: upload.createdAt.addingTimeInterval(Double(AgentDesk.uploadLifetime.components.seconds))),
                status: .created)
        }
    }
}

/// `GET /media/{message}/{index}?expires=…&signature=…`: a reply's attachment for a platform that
/// fetches media itself (Twilio MMS). No token: the signed, expiring URL is the permission, and
/// anything else is 403 without saying which part was wrong.
struct MediaLinkRoute {
    let links: MediaLinks
    let store: any AttachmentStore

    func add(to router: Router<GatewayContext>) {
        router.get("\(MediaLinks.pathPrefix)/:message/:index") { request, context in
            let query = request.uri.queryParameters
            guard let message = context.parameters.get("message").flatMap({ Int64($0) }),
                let index = context.parameters.get("index").flatMap({ Int($0) }),
                let expiresText = query.get("expires"), let expires = Int64(String(expiresText)),
                let signatureText = query.get("signature"),
                links.verify(message: message, index: index, expires: expires, signature: String(signatureText), now: Date())
            else {
                throw ServiceError.forbidden("this media link is not valid or has expired")
            }
            guard let stored = try await store.attachment(message: message, index: index), let content = stored.content else {
                throw ServiceError.notFound("attachment \(index) of message \(message)")
            }
            return AttachmentDownload.response(stored.attachment, content: content, index: index)
        }
    }
}
