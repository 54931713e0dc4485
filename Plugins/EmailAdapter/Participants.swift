import Foundation
import SwitchboardAdapterAPI

/// The people a customer wrote with (their colleagues in `To`/`Cc`): recorded with each mail as
/// `metadata.participants`, and copied (`Cc`) on the replies to it, as a mail client's reply-all.
enum Participants {
    /// At most this many are kept: a mail to a whole list is not a conversation with all of it.
    static let limit = 20

    /// The addresses of `addresses` other than the author and our own (an own address with a
    /// `+tag` included), lower-cased, first occurrence first, comma-separated; nil when none.
    static func others(in addresses: [EmailAddress], author: String, own: [String]) -> String? {
        var seen: Set<String> = [author.lowercased()]
        var result: [String] = []
        for entry in addresses {
            let address = entry.address.trimmed.lowercased()
            guard EmailSettings.isAddress(address), !isOwn(address, own: own), seen.insert(address).inserted else { continue }
            result.append(address)
            if result.count == limit { break }
        }
        return result.isEmpty ? nil : result.joined(separator: ", ")
    }

    /// Whom a reply to a mail with `metadata` copies: its participants but the reply's recipient
    /// and our own addresses.
    static func copies(metadata: [String: String], to recipient: String, isOwn: (String) -> Bool) -> [String] {
        guard let list = metadata["participants"] else { return [] }
        return clean(list.split(separator: ",").map(String.init), to: recipient, isOwn: isOwn)
    }

    /// Whom `message` copies: the agent's choice when they made one, else the participants of the
    /// mail it answers; never the recipient, our own addresses, or anything but an address.
    static func copies(_ message: OutboundMessage, isOwn: (String) -> Bool) -> [String] {
        if let chosen = message.cc { return clean(chosen, to: message.to, isOwn: isOwn) }
        return copies(metadata: message.inReplyToMetadata, to: message.to, isOwn: isOwn)
    }

    private static func clean(_ addresses: [String], to recipient: String, isOwn: (String) -> Bool) -> [String] {
        var seen: Set<String> = [recipient.lowercased()]
        return addresses.map { $0.trimmed.lowercased() }.filter { address in
            EmailSettings.isAddress(address) && !isOwn(address) && seen.insert(address).inserted
        }
    }

    private static func isOwn(_ address: String, own: [String]) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let base = String(address[..<at].prefix { $0 != "+" }) + String(address[at...])
        return own.contains {
            let mine = $0.lowercased()
            return mine == address || mine == base
        }
    }
}
