import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

/// The approved templates read from the Graph API (`templates: fetch`), shared by every copy of
/// the adapter and refreshed hourly while the gateway runs.
final class WhatsAppTemplateCatalog: Sendable {
    private let fetched = Mutex<[MessageTemplate]>([])

    var current: [MessageTemplate] { fetched.withLock { $0 } }

    func replace(_ templates: [MessageTemplate]) { fetched.withLock { $0 = templates } }

    /// `GET /{waba_id}/message_templates?status=APPROVED`, every page: each template's name,
    /// language and BODY text (whose `{{n}}` placeholders are its parameters).
    static func fetch(settings: WhatsAppSettings, transport: any HTTPTransport) async throws -> [MessageTemplate] {
        guard let waba = settings.wabaID else { return [] }
        var url: String? =
            "\(settings.graph.apiBase)/\(settings.graph.apiVersion)/\(waba)/message_templates?status=APPROVED&limit=100&fields=name,language,status,components"
        var found: [MessageTemplate] = []
        var pages = 0
        while let next = url, pages < 50 {
            pages += 1
            let response = try await transport.send(
                HTTPRequest(
                    method: "GET", url: next, headers: [("Authorization", "Bearer \(settings.graph.accessToken)"), ("Accept", "application/json")],
                    timeout: .seconds(20)))
            guard (200..<300).contains(response.status), let document = try? JSONValue.parse(response.body) else {
                throw TransportError("the Graph API answered HTTP \(response.status) for the message templates")
            }
            for item in document["data"]?.arrayValue ?? [] {
                guard let name = item["name"]?.nonEmptyText, let language = item["language"]?.nonEmptyText,
                    (item["status"]?.nonEmptyText ?? "APPROVED").uppercased() == "APPROVED"
                else { continue }
                let body = item["components"]?.arrayValue?.first { $0["type"]?.nonEmptyText?.uppercased() == "BODY" }
                found.append(MessageTemplate(name: name, language: language, text: body?["text"]?.nonEmptyText))
            }
            url = document["paging"]?["next"]?.nonEmptyText
        }
        return found
    }
}

extension WhatsAppAdapter: BackgroundChannelAdapter {
    /// Every gateway keeps its own list of the templates agents may send.
    public var runsOnLeaderOnly: Bool { false }

    /// With `templates: fetch`, reads the approved templates now and every hour (a failed read keeps
    /// the last list and is tried again in a minute); otherwise waits until the gateway stops.
    public func run(sink: any InboundSink) async throws {
        while !Task.isCancelled {
            guard settings.fetchTemplates else {
                try await Task.sleep(for: .seconds(3600))
                continue
            }
            do {
                let templates = try await WhatsAppTemplateCatalog.fetch(settings: settings, transport: transport)
                catalog.replace(templates)
                logger.info("WhatsApp templates read", metadata: ["adapter": "\(id)", "count": "\(templates.count)"])
                try await Task.sleep(for: .seconds(3600))
            } catch is CancellationError {
                return
            } catch {
                logger.warning("could not read the WhatsApp templates", metadata: ["adapter": "\(id)", "error": "\(error)"])
                try await Task.sleep(for: .seconds(60))
            }
        }
    }
}

/// A template message's content: `{"name", "language": {"code"},
/// "components": [{"type": "body", "parameters": [{"type": "text", "text"}]}]}`.
struct WhatsAppTemplate: Encodable {
    struct Language: Encodable { var code: String }
    struct Parameter: Encodable {
        var type = "text"
        var text: String
    }
    struct Component: Encodable {
        var type = "body"
        var parameters: [Parameter]
    }
    var name: String
    var language: Language
    var components: [Component]?

    init(_ reply: TemplateReply) {
        name = reply.name
        language = Language(code: reply.language)
        components = reply.parameters.isEmpty ? nil : [Component(parameters: reply.parameters.map { Parameter(text: $0) })]
    }
}
