import Foundation
import SwitchboardAdapterAPI

/// Template replies, checked once for every channel before they are queued: the template must be
/// one the adapter lists, in that language, with as many parameters as its body has placeholders.
public enum TemplateRules {
    /// The text the thread shows (the body with the parameters filled in) and what the reply records
    /// so every attempt sends the same template; or the refusal (422).
    public static func check(
        _ template: TemplateReply, templates: [MessageTemplate]?, adapter: String
    ) throws -> (text: String, metadata: [String: String]) {
        guard let templates, !templates.isEmpty else {
            throw ServiceError.unprocessable("templates_not_supported", "adapter '\(adapter)' has no message templates")
        }
        guard let known = templates.first(where: { $0.name == template.name && $0.language == template.language }) else {
            let listed = templates.map { "\($0.name) (\($0.language))" }.joined(separator: ", ")
            throw ServiceError.unprocessable(
                "unknown_template", "adapter '\(adapter)' has no template '\(template.name)' in '\(template.language)'; it has \(listed)")
        }
        guard template.parameters.count == known.parameters else {
            throw ServiceError.unprocessable(
                "template_parameters",
                "template '\(known.name)' takes \(known.parameters) parameter\(known.parameters == 1 ? "" : "s"); \(template.parameters.count) given")
        }
        if let blank = template.parameters.firstIndex(where: { $0.trimmed.isEmpty }) {
            throw ServiceError.unprocessable("template_parameters", "parameter \(blank + 1) of template '\(known.name)' is empty")
        }
        let text =
            known.rendered(template.parameters)
            ?? "[template \(known.name)]" + (template.parameters.isEmpty ? "" : ": " + template.parameters.joined(separator: ", "))
        return (text, template.metadata)
    }
}
