import Foundation
import SwitchboardAdapterAPI

/// Whom an agent's reply copies (`cc` in the reply request), on channels that can copy people
/// (``AdapterCapabilities/copies``: e-mail). Given, it replaces the channel's default (reply-all:
/// the participants of the answered message); empty, the reply goes to the customer only. Kept
/// with the reply as metadata `cc`, so every delivery attempt copies the same people and the
/// thread shows whom it copied.
public enum ReplyCopies {
    /// The metadata key the choice is kept under (comma-separated; empty: nobody).
    public static let key = "cc"
    /// At most this many people on one reply (as many as a mail records as participants).
    public static let limit = 20

    /// The addresses, checked and normalised (lower-case, once each, without the recipient); a bad
    /// one is refused with the reason.
    public static func validate(_ given: [String], recipient: String) throws -> [String] {
        guard given.count <= limit else { throw ServiceError.badRequest("'cc' names more than \(limit) addresses") }
        var seen: Set<String> = [recipient.lowercased()]
        var result: [String] = []
        for entry in given {
            let address = entry.trimmed.lowercased()
            guard isAddress(address) else {
                throw ServiceError.badRequest("'cc' has \(quoted(entry)), which is not an e-mail address (name@example.com)")
            }
            if seen.insert(address).inserted { result.append(address) }
        }
        return result
    }

    /// The metadata kept with a reply that copies `addresses`.
    public static func metadata(_ addresses: [String]) -> [String: String] {
        [key: addresses.joined(separator: ", ")]
    }

    /// The agent's choice kept with a reply; nil when they made none (the channel's default).
    public static func chosen(in metadata: [String: String]) -> [String]? {
        guard let list = metadata[key] else { return nil }
        return list.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
    }

    /// A bare addr-spec as mail clients accept it: `local@domain.tld`, no spaces, quotes, angle
    /// brackets or separators, at most 254 characters (RFC 5321's limit).
    static func isAddress(_ address: String) -> Bool {
        guard address.utf8.count <= 254, let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else {
            return false
        }
        let localAllowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-")
        guard local.allSatisfy({ localAllowed.contains($0) || !$0.isASCII }) else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "-") && !$0.isWhitespace }
        }
    }

    private static func quoted(_ text: String) -> String {
        "'" + String(text.prefix(80)) + "'"
    }
}
