import SwitchboardAdapterAPI

/// The part of a Meta webhook that is the same on every Meta channel: `GET` is the handshake,
/// `POST` must carry a valid signature, and only then is the body parsed.
struct MetaWebhookGate: Sendable {
    enum Outcome {
        /// The answer to a handshake.
        case answer(InboundResult)
        /// A signed document to decode.
        case document(JSONValue)
    }

    let appSecret: HMACKey?
    let verifyToken: String?

    func open(_ request: InboundRequest) throws(InboundError) -> Outcome {
        switch request.method {
        case "GET":
            return .answer(try MetaHandshake.answer(request, verifyToken: verifyToken))
        case "POST":
            try MetaSignature.verify(request, key: appSecret)
            let document = try JSONValue.parse(request.body)
            guard document.isObject else { throw .malformed("expected a JSON object (a Meta webhook)") }
            return .document(document)
        default:
            throw .methodNotAllowed("Meta webhooks use GET (verification) and POST (events) only")
        }
    }
}
