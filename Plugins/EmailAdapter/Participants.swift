import Foundation

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
        let to = recipient.lowercased()
        return list.split(separator: ",").map { String($0).trimmed.lowercased() }.filter { address in
            EmailSettings.isAddress(address) && address != to && !isOwn(address)
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
