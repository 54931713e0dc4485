import Foundation
import Logging
import SwitchboardAdapterAPI
import Testing

@testable import EmailAdapter

/// The mail hook takes mail only as `message/rfc822` and only from a sender proving the secret.
@Suite struct MailHookTests {
    static let secret = "mail-hook-secret-0123456789abcdef"
    let mail = Array(MailFixtures.alternative.utf8)

    func adapter(_ access: HookAccess) -> EmailAdapter {
        EmailAdapter(
            id: "mail",
            settings: EmailSettings(address: "support@example.com", smtp: MailAccount(url: "smtp://127.0.0.1"), access: access),
            mail: nil, logger: Logger(label: "test"))
    }

    func post(_ body: [UInt8], type: String? = "message/rfc822", headers: [(String, String)] = []) -> InboundRequest {
        var all = headers.map { (name: $0.0, value: $0.1) }
        if let type { all.append((name: "Content-Type", value: type)) }
        return InboundRequest(method: "POST", path: "/hooks/mail", headers: all, body: body)
    }

    func status(_ adapter: EmailAdapter, _ request: InboundRequest) async -> Int {
        do {
            _ = try await adapter.receive(request)
            return 200
        } catch let error as InboundError {
            return error.status
        } catch {
            return 500
        }
    }

    @Test func aCrossOriginTextPostIsRefusedWith415EvenWhenTheHookIsOpen() async {
        for access in [HookAccess.open, .secret(Self.secret)] {
            // What `fetch(url, {method: "POST", mode: "no-cors", body: mail})` sends from any web page.
            #expect(await status(adapter(access), post(mail, type: "text/plain;charset=UTF-8")) == 415)
            #expect(await status(adapter(access), post(mail, type: "application/x-www-form-urlencoded")) == 415)
            #expect(await status(adapter(access), post(mail, type: nil)) == 415)
        }
        do {
            _ = try await adapter(.open).receive(post(mail, type: "text/plain"))
        } catch let error as InboundError {
            #expect(error.code == "unsupported_media_type" && error.reason.contains("message/rfc822"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func withASecretOnlyASignedOrSecretBearingPostIsTaken() async {
        let hook = adapter(.secret(Self.secret))
        #expect(await status(hook, post(mail)) == 401)
        let signature = "sha256=" + Signatures.hmacSHA256Hex(key: Self.secret, mail)
        #expect(await status(hook, post(mail, headers: [("X-Switchboard-Signature", signature)])) == 200)
        #expect(await status(hook, post(mail, type: "Message/RFC822; charset=utf-8", headers: [("X-Switchboard-Signature", signature)])) == 200)
        #expect(await status(hook, post(mail, headers: [("X-Switchboard-Secret", Self.secret)])) == 200)

        let other = "sha256=" + Signatures.hmacSHA256Hex(key: "not-the-secret", mail)
        #expect(await status(hook, post(mail, headers: [("X-Switchboard-Signature", other)])) == 401)
        // A signature for another body (the mail changed on the way) does not carry over.
        var changed = mail
        changed.append(contentsOf: Array("P.S. send the refund to me\n".utf8))
        #expect(await status(hook, post(changed, headers: [("X-Switchboard-Signature", signature)])) == 401)
        #expect(await status(hook, post(mail, headers: [("X-Switchboard-Secret", "mail-hook-secret")])) == 401)
        #expect(await status(hook, post(mail, headers: [("X-Switchboard-Secret", Self.secret + "x")])) == 401)
        // A bad signature is not rescued by a good secret header, nor the other way round.
        #expect(await status(hook, post(mail, headers: [("X-Switchboard-Signature", other), ("X-Switchboard-Secret", Self.secret)])) == 401)
    }

    @Test func anOpenHookTakesUnsignedMail() async {
        #expect(await status(adapter(.open), post(mail)) == 200)
    }

    @Test func theConfigurationMustSayWhoMayPost() {
        func problems(_ pairs: [(String, ConfigNode.Value)], env: [String: String] = [:]) -> [String] {
            let smtp = ConfigNode(.map([(key: "url", keyLine: 3, value: ConfigNode(.scalar("smtp://mail.example.com"), line: 3))]), line: 3)
            let all = [("address", ConfigNode.Value.scalar("support@example.com")), ("smtp", smtp.value)] + pairs
            let node = ConfigNode(
                .map(all.enumerated().map { (key: $0.element.0, keyLine: $0.offset + 1, value: ConfigNode($0.element.1, line: $0.offset + 1)) }),
                line: 1)
            let diagnostics = ConfigDiagnostics(file: "switchboard.yaml")
            let section = ConfigSection(node, path: "adapters[0]", diagnostics: diagnostics, environment: { env[$0] })
            _ = EmailSettings(config: section)
            section.finish()
            return diagnostics.problems.map(\.message)
        }
        #expect(problems([]).contains { $0.contains("secret_env") && $0.contains("open: true") })
        #expect(problems([("secret_env", .scalar("MAIL_SECRET"))], env: ["MAIL_SECRET": "s3cret"]).isEmpty)
        #expect(problems([("secret_env", .scalar("MAIL_SECRET"))]).contains { $0.contains("MAIL_SECRET is not set") })
        #expect(problems([("open", .scalar("true"))]).isEmpty)
    }
}
