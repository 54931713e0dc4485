import ArgumentParser
import Foundation
import SwitchboardCore
import SwitchboardGateway

extension Agents {
    /// `switchboard agents totp ID`: enrolls (or removes) an agent's second factor.
    struct TOTPCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "totp",
            abstract: "Enroll an agent in two-factor sign-in (TOTP): prints the otpauth:// URI and ten recovery codes.",
            discussion: """
                The agent adds the URI to an authenticator app (most take it as a QR code: `qrencode -t ANSIUTF8 'URI'`) \
                and keeps the recovery codes somewhere safe: each signs in once instead of a code. Enrolling again \
                replaces the secret and the recovery codes. Either way every console session of the agent ends. \
                With --remove the agent signs in with the password alone again (refused under console.require_2fa). \
                The secret is shown only now; the recovery codes are stored only as hashes.
                """)

        @Argument(help: "The agent's id, as in the configuration.")
        var id: String

        @Option(name: .long, help: "Configuration file.")
        var config = "Config/switchboard.yaml"

        @Flag(name: .long, help: "Remove the agent's second factor instead.")
        var remove = false

        func run() async throws {
            let store = try await Agents.sessionStore(config: config, agent: id)
            let audit = AuditTrail(store: store)
            if remove {
                let removed = try await store.removeTOTP(agent: id)
                if removed { await audit.record(.secondFactorRemoved, actor: AuditActor.operator, subject: "agent:\(id)") }
                try await store.close()
                print(removed ? "second factor removed for \(id)" : "\(id) had no second factor")
                return
            }
            let secret = SecondFactor.newSecret()
            let codes = SecondFactor.newRecoveryCodes()
            try await store.enrollTOTP(
                agent: id, secret: secret, recoveryCodeHashes: codes.map { SecondFactor.recoveryCodeHash(agent: id, code: $0) }, at: Date())
            await audit.record(.secondFactorEnrolled, actor: AuditActor.operator, subject: "agent:\(id)", details: ["kind": "totp"])
            try await store.close()
            print(SecondFactor.uri(secret: secret, agent: id))
            print("recovery codes for \(id) (each works once):")
            for code in codes { print("  \(code)") }
        }
    }
}
