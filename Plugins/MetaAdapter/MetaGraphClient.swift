import Foundation
import Logging
import SwitchboardAdapterAPI

/// Posts JSON to a Graph API send endpoint with the bearer token and turns the answer into a
/// parsed document or a ``DeliveryFailure``.
struct MetaGraphClient: Sendable {
    let transport: any HTTPTransport
    let accessToken: String
    /// How the platform is named in failures the agent sees, e.g. `WhatsApp Cloud API`.
    let platform: String
    /// Shown after "the 24-hour window is closed" when the platform says so.
    let outsideWindowHint: String?
    /// Graph sends usually answer within a second; a long wait means trouble worth a retry.
    var timeout: Duration = .seconds(20)

    /// Returns the answer's JSON (`.null` if a 2xx answer is not JSON). Throws ``DeliveryFailure``.
    func post(_ url: String, json body: [UInt8]) async throws -> JSONValue {
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: [
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
                ("Authorization", "Bearer \(accessToken)"),
            ],
            body: body, timeout: timeout)
        // The URL holds no secret (the token is a header).
        let response = try await transport.sendForDelivery(request, reaching: "\(platform) at \(url)")
        guard (200..<300).contains(response.status) else {
            throw MetaGraphError.failure(for: response, platform: platform, outsideWindowHint: outsideWindowHint)
        }
        return (try? JSONValue.parse(response.body)) ?? .null
    }

    /// Posts a `multipart/form-data` upload (media) and returns the answer's JSON. Throws ``DeliveryFailure``.
    func upload(_ url: String, form: MultipartBody) async throws -> JSONValue {
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: [
                ("Content-Type", form.contentType),
                ("Accept", "application/json"),
                ("Authorization", "Bearer \(accessToken)"),
            ],
            body: form.body, timeout: .seconds(120))
        let response = try await transport.sendForDelivery(request, reaching: "\(platform) at \(url)")
        guard (200..<300).contains(response.status) else {
            throw MetaGraphError.failure(for: response, platform: platform, outsideWindowHint: outsideWindowHint)
        }
        return (try? JSONValue.parse(response.body)) ?? .null
    }

    /// Encodes a send payload. Slashes stay unescaped so the body reads like Meta's examples.
    static func encode(_ payload: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        do {
            return Array(try encoder.encode(payload))
        } catch {
            throw DeliveryFailure("could not encode the message: \(error)", permanent: true)
        }
    }
}
