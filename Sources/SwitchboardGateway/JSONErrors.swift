import Foundation
import Hummingbird
import NIOCore
import SwitchboardAdapterAPI
import SwitchboardCore

/// The one error shape of every endpoint: `{"error": {"code", "message"}}`.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
    }
    var error: Detail
}

/// A throttled attempt: answered 429 with `Retry-After`.
struct TooManyAttempts: Error {
    var wait: TimeInterval
}

/// Builds JSON responses.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        bytes(JSONCoding.encode(value), status: status)
    }

    static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        Response(
            status: status, headers: [.contentType: contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// 429 with `Retry-After` (whole seconds, rounded up). The same words whoever was guessed
    /// at, so the answer tells nothing about which agents exist.
    static func tooManyAttempts(wait: TimeInterval) -> Response {
        let seconds = max(1, Int(wait.rounded(.up)))
        return error(
            status: 429, code: "too_many_attempts", message: "too many failed attempts; try again in \(seconds) s",
            headers: [.retryAfter: "\(seconds)"])
    }

    static func error(status: Int, code: String, message: String, headers: HTTPFields = [:]) -> Response {
        var response = make(ErrorBody(error: .init(code: code, message: message)), status: .init(code: status))
        for field in headers { response.headers.append(field) }
        return response
    }
}

/// Turns every error into the JSON error shape with its status; nothing leaks as a bare 500.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            return JSONResponse.error(status: error.status, code: error.code, message: error.message)
        } catch let error as StoreError {
            let error = ServiceError(error)
            return JSONResponse.error(status: error.status, code: error.code, message: error.message)
        } catch let error as TooManyAttempts {
            return JSONResponse.tooManyAttempts(wait: error.wait)
        } catch let error as InboundError {
            return JSONResponse.error(status: error.status, code: error.code, message: error.reason)
        } catch is NIOTooManyBytesError {
            return JSONResponse.error(status: 413, code: "too_large", message: "the request body is larger than this gateway accepts")
        } catch let error as HTTPError {
            let code = error.status.code == 404 ? "not_found" : error.status.code == 405 ? "method_not_allowed" : "http_\(error.status.code)"
            return JSONResponse.error(
                status: error.status.code, code: code, message: error.body ?? error.status.reasonPhrase, headers: error.headers)
        } catch let error as CancellationError {
            throw error
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return JSONResponse.error(status: 500, code: "internal", message: "internal error; see the gateway log")
        }
    }
}

extension Request {
    /// The body as bytes, refusing more than `limit` with 413 (checked against Content-Length first).
    mutating func bodyBytes(limit: Int) async throws -> [UInt8] {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw ServiceError(
                status: 413, code: "too_large", message: "the request body (\(length) bytes) is larger than the limit of \(limit) bytes")
        }
        do {
            let buffer = try await collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw ServiceError(status: 413, code: "too_large", message: "the request body is larger than the limit of \(limit) bytes")
        }
    }

    /// Decodes a JSON body of the agent API, with a reason the caller can act on.
    mutating func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let bytes = try await bodyBytes(limit: limit)
        do {
            return try JSONCoding.decode(type, from: bytes)
        } catch DecodingError.keyNotFound(let key, _) {
            throw ServiceError.badRequest("missing field '\(key.stringValue)'")
        } catch DecodingError.typeMismatch(_, let ctx) {
            throw ServiceError.badRequest("field '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch DecodingError.valueNotFound(_, let ctx) {
            throw ServiceError.badRequest("field '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))' must not be null")
        } catch {
            throw ServiceError.badRequest("the body is not valid JSON")
        }
    }
}
