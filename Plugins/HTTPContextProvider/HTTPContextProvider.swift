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
/// Placeholders: `{email}`, `{phone}` (the customer's first of each, E.164), `{customer_id}`, `{name}`,
/// in the path or the query only; each value percent-encoded as one whole segment or query value,
/// empty in the query when unknown. A customer's address can never reshape the URL: a value `..`
/// in the path is refused rather than walking up (see ``ContextURLTemplate``), and a path
/// placeholder without a value fetches nothing.
public struct HTTPContextProvider: ContextProvider {
    public let id: String
    public let timeout: Duration
    public let cacheFor: Duration
    let template: ContextURLTemplate
    let token: String?
    let transport: any HTTPTransport

    public func fetch(_ customer: CustomerKeys) async throws -> JSONValue {
        guard let url = try Self.expand(template, customer) else { return .null }
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

    static func expand(_ template: ContextURLTemplate, _ customer: CustomerKeys) throws(ContextFetchError) -> String? {
        try template.expand([
            "email": customer.emails.first ?? "", "phone": customer.phones.first ?? "",
            "customer_id": String(customer.customerID), "name": customer.name ?? "",
        ])
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
        var problems: [String] = []
        let template = ContextURLTemplate(url, problems: &problems)
        for problem in problems { config.problem("url", problem) }
        return HTTPContextProvider(
            id: id, timeout: config.duration("timeout", default: .seconds(2))!, cacheFor: config.duration("cache", default: .seconds(300))!,
            template: template, token: config.secret("token_env"), transport: context.transport)
    }
}
