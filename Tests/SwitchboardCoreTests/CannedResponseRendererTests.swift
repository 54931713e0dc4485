import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Filling saved replies in: every placeholder, context data, and gaps for what is missing.
@Suite struct CannedResponseRendererTests {
    let due = Date(timeIntervalSince1970: 1_717_689_000)  // Thu 6 Jun 2024, 15:50 UTC
    var context: RenderContext {
        RenderContext(
            customerName: "Olga María Ruiz", reference: "SB-000042-K7QMX", ownerName: "Ana García", agentName: "Luis Pérez", due: due,
            timeZone: TimeZone(identifier: "Europe/Madrid")!,
            context: [
                "shop": .object([
                    "last_order": .object(["status": .string("shipped"), "total": .number(49.5), "items": .integer(3)]),
                    "orders": .array([.object(["id": .string("A-1001")])]),
                    "vip": .bool(true), "note": .null, "empty": .string(" "),
                ])
            ])
    }

    @Test func fillsEveryPlaceholder() {
        let body = "Hola {customer.first_name} ({customer.name}), soy {agent.name}; {owner.name} lleva {reference}, respuesta antes de {due}."
        let rendered = CannedResponseRenderer.render(body, context, language: "es")
        #expect(rendered.missing.isEmpty)
        #expect(rendered.text.hasPrefix("Hola Olga (Olga María Ruiz), soy Luis Pérez; Ana García lleva SB-000042-K7QMX, respuesta antes de jue"))
        #expect(rendered.text.contains(" 6 jun") && rendered.text.contains("17:50"), "in Spanish, in the owner's time zone: \(rendered.text)")
        let english = CannedResponseRenderer.render("by {due}", context, language: "en")
        #expect(english.text.hasPrefix("by Thu 6 Jun, 17:50"), "\(english.text)")
    }

    @Test func readsContextProviderData() {
        let rendered = CannedResponseRenderer.render(
            "{context.shop.last_order.status} / {context.shop.last_order.total} / {context.shop.last_order.items} / {context.shop.orders.0.id} / {context.shop.vip}",
            context)
        #expect(rendered.text == "shipped / 49.5 / 3 / A-1001 / true")
        #expect(rendered.missing.isEmpty)
    }

    @Test func missingValuesBecomeGapsNeverBlankOrRaw() {
        var bare = context
        bare.customerName = nil
        bare.ownerName = "  "
        bare.due = nil
        let rendered = CannedResponseRenderer.render(
            "Hi {customer.first_name}, {owner.name} {due} {context.shop.last_order.carrier} {context.shop.note} {context.shop.orders} "
                + "{context.shop.empty} {context.crm.id} {customer.first_name} {nonsense.field}",
            bare)
        #expect(
            rendered.missing == [
                "customer.first_name", "owner.name", "due", "context.shop.last_order.carrier", "context.shop.note", "context.shop.orders",
                "context.shop.empty", "context.crm.id", "nonsense.field",
            ])
        #expect(rendered.text.hasPrefix("Hi ⟦customer.first_name⟧, ⟦owner.name⟧ ⟦due⟧"))
        #expect(!rendered.text.contains("{"), "no raw placeholder is left")
        #expect(CannedResponseRenderer.gaps(in: rendered.text).count == 10)
    }

    @Test func otherBracesAreText() {
        let rendered = CannedResponseRenderer.render("JSON: {\"a\": 1} and {not a placeholder} and { } and {", context)
        #expect(rendered.text == "JSON: {\"a\": 1} and {not a placeholder} and { } and {")
        #expect(rendered.missing.isEmpty)
        #expect(CannedResponseRenderer.gaps(in: "no gaps ⟦ here").isEmpty)
    }
}
