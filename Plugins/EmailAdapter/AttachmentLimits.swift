import SwitchboardAdapterAPI

/// How much of a mail's attachments is kept as content (`attachments: {max_bytes, max_message_bytes}`
/// in the adapter's config). An attachment over a limit is still listed with its name, type and
/// size, with `stored: false` and the reason: the customer's message is never refused for it.
public struct AttachmentLimits: Sendable, Equatable {
    /// The largest single attachment kept; 0 keeps none.
    public var maxBytes: Int
    /// The most one message's attachments may add up to; later ones past it are not kept.
    public var maxMessageBytes: Int

    public init(maxBytes: Int = 10 << 20, maxMessageBytes: Int = 25 << 20) {
        self.maxBytes = maxBytes
        self.maxMessageBytes = maxMessageBytes
    }

    /// Reads `max_bytes` and `max_message_bytes` (`512k`, `10m`, `1mb`, or bytes).
    init(config: ConfigSection) {
        let defaults = AttachmentLimits()
        maxBytes = Self.size(config, "max_bytes") ?? defaults.maxBytes
        maxMessageBytes = Self.size(config, "max_message_bytes") ?? max(defaults.maxMessageBytes, maxBytes)
    }

    /// The reason `size` more bytes cannot be kept when `kept` bytes of this message already are,
    /// or nil when they can.
    func refusal(size: Int, kept: Int) -> String? {
        if maxBytes == 0 { return "this adapter keeps no attachment contents (attachments.max_bytes: 0)" }
        if size > maxBytes { return "larger than this adapter's limit of \(maxBytes) bytes (attachments.max_bytes)" }
        if kept + size > maxMessageBytes {
            return "the message's attachments exceed this adapter's limit of \(maxMessageBytes) bytes (attachments.max_message_bytes)"
        }
        return nil
    }

    private static func size(_ config: ConfigSection, _ key: String) -> Int? {
        guard let text = config.string(key) else { return nil }
        let lower = text.trimmed.lowercased()
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("kb", 1000), ("mb", 1_000_000), ("k", 1 << 10), ("m", 1 << 20)]
        var scale = 1
        var digits = Substring(lower)
        if let unit = units.first(where: { lower.hasSuffix($0.0) }) {
            scale = unit.1
            digits = lower.dropLast(unit.0.count)
        }
        guard let value = Int(String(digits).trimmed), value >= 0, value <= Int.max / scale else {
            config.problem(key, "'\(text)' is not a size (e.g. 512k, 10m, or 0 to keep no contents)")
            return nil
        }
        return value * scale
    }
}
