import Foundation
import SwitchboardAdapterAPI

/// The JSON body of `sendMessage`.
struct TelegramSendMessage: Encodable {
    /// Numeric chat ids go as numbers; `@channelusername` as a string.
    enum ChatID: Encodable {
        case id(Int64)
        case username(String)

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .id(let id): try c.encode(id)
            case .username(let name): try c.encode(name)
            }
        }
    }

    struct ReplyParameters: Encodable {
        var message_id: Int64
        /// The quoted message may have been deleted; the answer must still go out.
        var allow_sending_without_reply = true
    }

    var chat_id: ChatID
    var text: String
    var reply_parameters: ReplyParameters?

    /// `inReplyTo` is the external id `"<chat>:<message_id>"`; it is quoted only when it belongs
    /// to the chat the reply goes to.
    init(chat: String, text: String, inReplyTo: String?) {
        chat_id = Int64(chat).map(ChatID.id) ?? .username(chat)
        self.text = text
        if let inReplyTo, let colon = inReplyTo.lastIndex(of: ":"),
            inReplyTo[..<colon] == chat, let messageID = Int64(inReplyTo[inReplyTo.index(after: colon)...])
        {
            reply_parameters = ReplyParameters(message_id: messageID)
        }
    }

    var chatText: String {
        switch chat_id {
        case .id(let id): String(id)
        case .username(let name): name
        }
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
