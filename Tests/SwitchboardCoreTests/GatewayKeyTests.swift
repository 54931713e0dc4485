import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// References customers can read aloud but nobody can enumerate, and reply tags nobody can forge.
@Suite struct GatewayKeyTests {
    let key = GatewayKey(Array(0..<32))
    let other = GatewayKey(Array(repeating: 1, count: 32))

    @Test func referencesCarryACheckPartOnlyTheKeyComputes() {
        let refs = key.references
        let ref = refs.format(123)
        #expect(ref.hasPrefix("SB-000123-"))
        #expect(ref.count == "SB-000123-".count + 5)
        #expect(refs.find(in: "about \(ref), please"[...]) == 123)
        #expect(refs.find(in: "[\(ref.lowercased())]"[...]) == 123)
        // Another gateway's key, the bare number, a neighbour's number with this check part: nothing.
        #expect(other.references.find(in: ref[...]) == nil)
        #expect(refs.find(in: "SB-000123"[...]) == nil)
        #expect(refs.find(in: ("SB-000124" + ref.dropFirst(9))[...]) == nil)
        // Longer tokens are not references.
        #expect(refs.find(in: (ref + "X")[...]) == nil)
        #expect(refs.find(in: ("X" + ref)[...]) == nil)
        // Neighbouring references share nothing that tells one from the other.
        #expect(refs.format(124).suffix(5) != ref.suffix(5))
    }

    @Test func aPersonsReadingOfTheCheckPartIsAccepted() throws {
        let refs = key.references
        // Find an id whose check part holds a 0 or a 1, and write it the way people do.
        let id = try #require((1...500).first { refs.format(Int64($0)).suffix(5).contains { $0 == "0" || $0 == "1" } })
        let ref = refs.format(Int64(id))
        let spoken = ref.prefix(10) + ref.suffix(5).replacingOccurrences(of: "0", with: "o").replacingOccurrences(of: "1", with: "l")
        #expect(refs.find(in: spoken[...]) == Int64(id))
    }

    @Test func aWrongCheckPartIsRefusedForEveryGuess() {
        // Every check part but the right one, for one conversation, over a sample of the space.
        let refs = key.references
        let right = refs.format(42)
        var accepted = 0
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        for a in alphabet {
            for b in alphabet {
                for c in alphabet.prefix(4) {
                    let guess = "SB-000042-\(a)\(b)\(c)" + String(right.suffix(2))
                    if guess != right, refs.find(in: guess[...]) != nil { accepted += 1 }
                }
            }
        }
        #expect(accepted == 0)
    }

    @Test func messageTagsAreStableAndUnguessable() {
        #expect(key.messageTag(7) == key.messageTag(7))
        #expect(key.messageTag(7) != key.messageTag(8))
        #expect(key.messageTag(7) != other.messageTag(7))
        #expect(key.messageTag(7).count == 16)
        #expect(GatewayKey.generate() != GatewayKey.generate())
    }

    @Test func acknowledgementsAreLimitedPerAddressAndPerDomainAndNeverGoToUnverifiedSenders() {
        let policy = AcknowledgementPolicy(
            enabled: true, template: { _, _ in "hi" }, agent: { _ in nil },
            limits: AcknowledgementLimits(perRecipient: 2, recipientWindow: .seconds(3600), perDomain: 3, domainWindow: .seconds(3600)))
        func mail(_ address: String, unverified: String? = nil) -> InboundMessage {
            InboundMessage(
                externalID: UUID().uuidString, from: ChannelIdentity(channel: "email", address: address), text: "x", noAutoReply: unverified)
        }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(!policy.permits(mail("a@victim.example", unverified: "no SPF/DKIM/DMARC pass"), at: now))
        #expect(policy.permits(mail("a@victim.example"), at: now))
        #expect(policy.permits(mail("A@Victim.example"), at: now))
        #expect(!policy.permits(mail("a@victim.example"), at: now))  // two per address
        #expect(policy.permits(mail("b@victim.example"), at: now))
        #expect(!policy.permits(mail("c@victim.example"), at: now))  // three per domain
        #expect(policy.permits(mail("c@elsewhere.example"), at: now))
        // A copy of the policy shares the counts; a new window starts afresh.
        let copy = policy
        #expect(!copy.permits(mail("c@victim.example"), at: now))
        #expect(copy.permits(mail("c@victim.example"), at: now.addingTimeInterval(3601)))
    }
}
