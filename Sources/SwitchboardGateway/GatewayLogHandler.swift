import Logging

/// `StreamLogHandler`'s lines (standard error unless told), with a logger's own metadata kept as
/// given until a line is written. `StreamLogHandler` renders its metadata to text every time a key
/// is set, and Hummingbird sets one on every request's logger (the request id): a sorted, joined
/// string per request, and the id's text, for lines that at the info level are hardly ever written
/// — 2–3 % of the gateway's CPU per ingested message in a profile. The text is the same: the
/// metadata goes to `StreamLogHandler` with the line, which renders it then.
public struct GatewayLogHandler: LogHandler {
    private var stream: StreamLogHandler
    public var metadata: Logger.Metadata = [:]

    public init(label: String, level: Logger.Level, stream: (any TextOutputStream & Sendable)? = nil) {
        self.stream = stream.map { StreamLogHandler(label: label, stream: $0) } ?? StreamLogHandler.standardError(label: label)
        self.stream.logLevel = level
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            // What the line itself carries wins over the logger's, as in StreamLogHandler.
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, line in line }
        }
        stream.log(event: event)
    }
}
