import Logging
import SwitchboardAdapterAPI

/// The envelope every Meta webhook shares: `{"object": …, "entry": [ … ]}`.
enum MetaEnvelope {
    /// The entries of a webhook for `object`. A signed webhook is Meta's, so one for another object
    /// or without entries is answered 200 and not stored: nil, which the adapters report as an
    /// `unsupported_event` (a refusal would only make Meta retry it for days). Entries that are not
    /// a list are malformed.
    static func entries(of document: JSONValue, object expected: String, logger: Logger) throws(InboundError) -> [JSONValue]? {
        if let object = document.string("object"), object != expected {
            logger.debug("ignored a webhook for another Meta object", metadata: ["object": "\(object)"])
            return nil
        }
        guard let entries = document.field("entry") else {
            logger.debug("ignored a signed webhook without entries")
            return nil
        }
        guard case .array(let list) = entries else { throw .malformed("'entry' must be a list") }
        return list
    }
}
