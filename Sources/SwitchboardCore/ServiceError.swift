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

/// What a storage engine reports when it cannot do what was asked. Engines say what happened to
/// the data; what that means for a caller (404, 503 …) is decided here, once.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The row the operation works on is not there (or not any more).
    case missing(String)
    /// The database cannot be reached or cannot work now: retry later.
    case unavailable(String)
    /// The database refused in a way a retry will not fix.
    case failed(String)

    public var description: String {
        switch self {
        case .missing(let what): "\(what) not found"
        case .unavailable(let why), .failed(let why): why
        }
    }
}

extension ServiceError {
    /// What a caller is told about a storage failure.
    public init(_ error: StoreError) {
        switch error {
        case .missing(let what): self = .notFound(what)
        case .unavailable(let why): self = .storageUnavailable(why)
        case .failed(let why): self.init(status: 500, code: "database_error", message: why)
        }
    }
}
