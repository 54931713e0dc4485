/// Who may post to a hook that creates customer data: only a sender proving a shared secret, or,
/// when the operator says so explicitly, anyone. A hook is never open by omission.
public enum HookAccess: Sendable, Equatable {
    /// Requests must prove this secret (how depends on the channel: an HMAC, a token header).
    case secret(String)
    /// `open: true`: anyone who can reach the hook may post (behind a proxy that checks senders).
    case open

    /// The secret, when there is one.
    public var secret: String? {
        if case .secret(let s) = self { s } else { nil }
    }
}

extension ConfigSection {
    /// Reads `secretKey` (an `*_env` key) and `open`: exactly one of them must say who may post.
    /// Reports a missing secret as a problem and answers `.open` then, so the rest of the section
    /// is still checked (the gateway does not start with problems).
    public func hookAccess(secretKey: String = "secret_env") -> HookAccess {
        let open = bool("open", default: false)
        let secret = has(secretKey) ? self.secret(secretKey) : nil
        if open, has(secretKey) {
            problem("open", "'open: true' and '\(secretKey)' contradict each other: remove one")
        }
        if let secret { return .secret(secret) }
        if !open, !has(secretKey) {
            problem(
                nil,
                "anyone could post customer messages to this hook: set '\(secretKey)' (the name of an environment variable holding a shared secret), or 'open: true' if something in front of the gateway checks the senders"
            )
        }
        return .open
    }
}
