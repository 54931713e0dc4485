import SwitchboardAdapterAPI

/// Meta's subscription handshake: when a callback URL is registered, Meta sends
/// `GET ?hub.mode=subscribe&hub.challenge=<c>&hub.verify_token=<t>` and expects `200` with exactly
/// the challenge as the body when the token is the one configured.
enum MetaHandshake {
    static func answer(_ request: InboundRequest, verifyToken: String?) throws(InboundError) -> InboundResult {
        guard let mode = request.query["hub.mode"] else {
            throw .malformed("expected Meta's verification request (hub.mode=subscribe)")
        }
        guard mode == "subscribe" else { throw .malformed("unsupported hub.mode '\(mode.prefix(40))'") }
        guard let challenge = request.query["hub.challenge"], !challenge.isEmpty else {
            throw .malformed("missing hub.challenge")
        }
        // Constant-time, like a signature: the verify token is a shared secret.
        guard let verifyToken, let given = request.query["hub.verify_token"],
            Signatures.constantTimeEquals(given, verifyToken)
        else {
            throw .forbidden("hub.verify_token does not match the configured verify token")
        }
        return .respond(status: 200, contentType: "text/plain", body: Array(challenge.utf8))
    }
}
