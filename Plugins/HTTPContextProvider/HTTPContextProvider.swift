import Foundation
import SwitchboardAdapterAPI

/// `type: http`: asks the business's own service about the customer with one GET and shows the
/// JSON it answers beside the conversation.
///
/// ```yaml
/// context_providers:
///   - id: shop
///     type: http
///     url: "https://shop.example.com/api/customer?email={email}&phone={phone}"
///     token_env: SHOP_TOKEN     # optional: Authorization: Bearer <token>
///     timeout: 2s
///     cache: 5m
/// ```
/// Placeholders: `{email}`, `{phone}` (the customer's first of each, E.164), `{customer_id}`, `{name}`;
/// each percent-encoded, empty when unknown.
public struct HTTPContextProvider: ContextProvider {
    public let id: String
    public let timeout: Duration
    public let cacheFor: Duration
    let template: String
    let token: String?
    let transport: any HTTPTransport

    public func fetch(_ customer: CustomerKeys) async throws -> JSONValue {
        let url = Self.expand(template, customer)
        var headers: [(name: String, value: String)] = [("Accept", "application/json")]
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "GET", url: url, headers: headers, timeout: timeout))
        } catch let error as TransportError {
            let timedOut = error.message.localizedCaseInsensitiveContains("timed out") || error.message.localizedCaseInsensitiveContains("timeout")
            throw ContextFetchError(timedOut ? "timed out after \(timeout)" : "unreachable: \(error.message)")
        }
        if response.status == 404 { return .null }
        guard (200..<300).contains(response.status) else {
            throw ContextFetchError("answered HTTP \(response.status)")
        }
        guard let value = try? JSONValue.parse(response.body) else {
            throw ContextFetchError("answered something that is not JSON")
        }
        return value
    }

    static func expand(_ template: String, _ customer: CustomerKeys) -> String {
        let values = [
            "{email}": customer.emails.first ?? "", "{phone}": customer.phones.first ?? "",
            "{customer_id}": String(customer.customerID), "{name}": customer.name ?? "",
        ]
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#/")
        return values.reduce(template) { url, pair in
            url.replacingOccurrences(of: pair.key, with: pair.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }
    }
}

public struct HTTPContextProviderFactory: ContextProviderFactory {
    public let type = "http"

    public init() {}

    public func makeProvider(id: String, config: ConfigSection, context: AdapterContext) throws -> any ContextProvider {
        let url = config.requiredString("url") ?? ""
        if !url.isEmpty, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            config.problem("url", "'\(url)' must start with http:// or https://")
        }
        return HTTPContextProvider(
            id: id, timeout: config.duration("timeout", default: .seconds(2))!, cacheFor: config.duration("cache", default: .seconds(300))!,
            template: url, token: config.secret("token_env"), transport: context.transport)
    }
}
