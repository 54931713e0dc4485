/// A refusal the agent or channel must see, with the HTTP status it maps to. The core knows no
/// HTTP server; the status is only a number the gateway uses.
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func notFound(_ what: String) -> ServiceError {
        ServiceError(status: 404, code: "not_found", message: "\(what) not found")
    }
    public static func forbidden(_ message: String) -> ServiceError {
        ServiceError(status: 403, code: "forbidden", message: message)
    }
    public static func badRequest(_ message: String) -> ServiceError {
        ServiceError(status: 400, code: "bad_request", message: message)
    }
    public static func unprocessable(_ code: String, _ message: String) -> ServiceError {
        ServiceError(status: 422, code: code, message: message)
    }
    public static func storageUnavailable(_ message: String) -> ServiceError {
        ServiceError(status: 503, code: "storage_unavailable", message: message)
    }
}
