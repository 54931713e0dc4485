import Foundation
import SwitchboardAdapterAPI

/// Who may do what with saved replies, and what a valid one is: agents manage their own
/// (personal) ones; supervisors also their teams' and everyone's. Pure.
public enum CannedResponsePlanner {
    /// Checks a draft's fields; `knownTeams` are the teams of the configured agents.
    public static func validate(_ draft: CannedResponseDraft, knownTeams: Set<String>) throws -> CannedResponseDraft {
        var clean = draft
        clean.shortcut = draft.shortcut.trimmed.lowercased()
        if clean.shortcut.hasPrefix("/") { clean.shortcut.removeFirst() }
        clean.title = draft.title.trimmed
        clean.language = draft.language?.trimmed.lowercased().nilIfEmpty
        guard (1...40).contains(clean.shortcut.count),
            clean.shortcut.allSatisfy({ ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw ServiceError.badRequest("'shortcut' must be 1 to 40 letters, digits, '-' or '_' (typed after '/' in the reply box)")
        }
        guard (1...120).contains(clean.title.count) else { throw ServiceError.badRequest("'title' must be 1 to 120 characters") }
        guard !draft.body.trimmed.isEmpty, draft.body.count <= 10_000 else {
            throw ServiceError.badRequest("'body' must be 1 to 10000 characters")
        }
        if let language = clean.language,
            !(2...16).contains(language.count) || !language.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") })
        {
            throw ServiceError.badRequest("'language' must be a language tag such as es or en-GB")
        }
        if case .team(let team) = clean.scope, !knownTeams.contains(team) {
            throw ServiceError.unprocessable("unknown_team", "no configured agent is in team '\(team)'")
        }
        return clean
    }

    /// Whether `viewer` may change or delete `response`.
    public static func canManage(_ response: CannedResponse, _ viewer: Viewer) -> Bool {
        switch response.scope {
        case .personal: response.owner == viewer.agentID
        case .team, .everyone: viewer.isSupervisor
        }
    }

    /// The saved reply to store: `existing` is the one replaced (nil: a new one), `clash` another
    /// with the same scope and shortcut.
    public static func save(
        _ draft: CannedResponseDraft, by viewer: Viewer, audience: CannedResponseAudience, existing: CannedResponse?,
        clash: CannedResponse?, at: Date
    ) throws -> CannedResponse {
        if let existing {
            guard audience.reaches(existing) else { throw ServiceError.notFound("saved reply \(existing.id)") }
            guard canManage(existing, viewer) else {
                throw ServiceError.forbidden("only supervisors change team and everyone's saved replies")
            }
        }
        if draft.scope != .personal, !viewer.isSupervisor {
            throw ServiceError.forbidden("agents keep personal saved replies; only supervisors share them with a team or everyone")
        }
        if let clash, clash.id != existing?.id {
            throw ServiceError(
                status: 409, code: "shortcut_taken",
                message: "/\(draft.shortcut) is already a saved reply (\(clash.title)) for \(draft.scope.text)")
        }
        return CannedResponse(
            id: existing?.id ?? 0, shortcut: draft.shortcut, title: draft.title, body: draft.body, scope: draft.scope,
            language: draft.language, owner: draft.scope == .personal ? viewer.agentID : nil, updatedAt: at, uses: existing?.uses ?? 0)
    }

    /// Refuses the deletion of `response` by `viewer` unless they manage it.
    public static func delete(_ response: CannedResponse, by viewer: Viewer, audience: CannedResponseAudience) throws {
        guard audience.reaches(response) else { throw ServiceError.notFound("saved reply \(response.id)") }
        guard canManage(response, viewer) else { throw ServiceError.forbidden("only supervisors delete team and everyone's saved replies") }
    }
}
