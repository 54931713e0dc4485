import Foundation
import SwitchboardAdapterAPI

/// The lines the gateway writes to the process. See `docs/adapter-protocol.schema.json`.
enum GatewayMessage {
    /// The protocol version this gateway speaks; sent in `start` so a process can refuse a newer one.
    static let protocolVersion: Int64 = 1

    static func start(adapter: String, config: JSONValue) -> JSONValue {
        .object(["type": .string("start"), "adapter": .string(adapter), "config": config, "protocol": .integer(protocolVersion)])
    }

    /// `thread` and `attempt` extend the issue's `deliver`: where the customer wrote (a chat, a
    /// thread) and how many attempts came before this one.
    static func deliver(_ message: OutboundMessage) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string("deliver"),
            "id": .integer(message.id),
            "conversation": .integer(message.conversationID),
            "to": .string(message.to),
            "text": .string(message.text),
            "in_reply_to": message.inReplyTo.map(JSONValue.string) ?? .null,
            "thread": message.threadRef.map(JSONValue.string) ?? .null,
            "attempt": .integer(Int64(message.attempt)),
        ]
        // Only a reply with files carries them (`reply_files` in the process's hello allows them).
        if !message.attachments.isEmpty {
            fields["attachments"] = .array(
                message.attachments.map { file in
                    .object([
                        "file_name": .string(file.fileName), "mime_type": .string(file.mimeType), "kind": .string(file.kind),
                        "size": .integer(Int64(file.content.count)), "content_base64": .string(file.content.base64EncodedString()),
                    ])
                })
        }
        return .object(fields)
    }

    static func ack(_ externalID: String) -> JSONValue {
        .object(["type": .string("ack"), "id": .string(externalID)])
    }

    /// A request to `/hooks/{adapter}`, body in base64 so the process can check signatures over
    /// the exact bytes. Header names are lower-cased; repeated headers are joined with ", ".
    static func request(id: Int64, _ request: InboundRequest) -> JSONValue {
        var headers: [String: JSONValue] = [:]
        for (name, value) in request.headers {
            let key = name.lowercased()
            if case .string(let earlier)? = headers[key] {
                headers[key] = .string(earlier + ", " + value)
            } else {
                headers[key] = .string(value)
            }
        }
        return .object([
            "type": .string("request"),
            "id": .integer(id),
            "method": .string(request.method),
            "path": .string(request.path),
            "query": .object(request.query.mapValues(JSONValue.string)),
            "raw_query": request.rawQuery.map(JSONValue.string) ?? .null,
            "headers": .object(headers),
            "body_base64": .string(Data(request.body).base64EncodedString()),
        ])
    }
}
