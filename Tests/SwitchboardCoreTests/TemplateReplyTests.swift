import Foundation
import SwitchboardAdapterAPI
import SwitchboardCore
import Testing

/// Template replies: allowed where free text is not (outside the window), checked against the
/// adapter's templates before queueing, shown filled in, and handed to the adapter on every attempt.
@Suite struct TemplateReplyTests {
    let ana = Viewer(Staff.ana)
    static let capabilities = AdapterCapabilities(
        replyWindow: .seconds(24 * 3600), canInitiate: false,
        templates: [MessageTemplate(name: "order_update", language: "es", text: "Hola {{1}}, tu pedido {{2}} salió")])

    @Test func placeholdersAreCountedAndFilled() {
        let template = MessageTemplate(name: "t", language: "es", text: "{{2}} y {{1}} y {{10}}")
        #expect(template.parameters == 10)
        #expect(MessageTemplate(name: "t", language: "es").parameters == 0)
        #expect(MessageTemplate(name: "t", language: "es", text: "Hola {{1}}, {{2}}").rendered(["Ana", "77"]) == "Hola Ana, 77")
        let reply = TemplateReply(name: "t", language: "es", parameters: ["a \"b\"", "c"])
        #expect(TemplateReply(metadata: reply.metadata) == reply, "kept with the message, read back the same")
        #expect(TemplateReply(metadata: [:]) == nil)
    }

    @Test func aTemplateGoesOutOutsideTheWindowAndBadOnesAreRefused() async throws {
        let core = try await CoreOnMemory(adapters: [RecordingAdapter("chat", capabilities: Self.capabilities)])
        let inbound = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }
        let conversation = inbound.conversation.id
        core.clock.advance(25 * 3600)
        do {
            _ = try await core.desk.reply(to: conversation, body: "hola", inReplyTo: nil, via: nil, by: ana)
            Issue.record("free text went out outside the window")
        } catch let error as ServiceError {
            #expect(error.code == "outside_reply_window")
        }
        let template = TemplateReply(name: "order_update", language: "es", parameters: ["Ann", "SB-7"])
        let reply = try await core.desk.reply(to: conversation, body: "", inReplyTo: nil, via: nil, template: template, by: ana)
        #expect(reply.body == "Hola Ann, tu pedido SB-7 salió")

        for (bad, code) in [
            (TemplateReply(name: "order_update", language: "es", parameters: ["Ann"]), "template_parameters"),
            (TemplateReply(name: "order_update", language: "es", parameters: ["Ann", " "]), "template_parameters"),
            (TemplateReply(name: "order_update", language: "en", parameters: ["Ann", "SB-7"]), "unknown_template"),
        ] {
            do {
                _ = try await core.desk.reply(to: conversation, body: "", inReplyTo: nil, via: nil, template: bad, by: ana)
                Issue.record("\(bad) was queued")
            } catch let error as ServiceError {
                #expect(error.code == code)
            }
        }
        await #expect(throws: ServiceError.self) {
            _ = try await core.desk.reply(to: conversation, body: "and text", inReplyTo: nil, via: nil, template: template, by: ana)
        }

        let chat = core.adapters["chat"]!.adapter as! RecordingAdapter
        chat.willAnswer([DeliveryFailure("platform answered HTTP 503")])
        try await running([core.outbox]) {
            try await eventually("the first attempt") { try await core.message(reply.id, in: conversation).delivery?.attempts == 1 }
            core.clock.advance(70)
            core.outbox.wake()
            try await eventually("delivered") { try await core.message(reply.id, in: conversation).delivery?.state == .delivered }
        }
        #expect(chat.deliveries.map(\.template) == [template, template], "the same template on every attempt")
    }

    @Test func aChannelWithoutTemplatesRefusesThem() async throws {
        let core = try await CoreOnMemory()
        let inbound = try await core.onlyAvailable(Staff.ana) { try await core.receive("c1", from: "ann") }
        do {
            _ = try await core.desk.reply(
                to: inbound.conversation.id, body: "", inReplyTo: nil, via: nil,
                template: TemplateReply(name: "x", language: "es", parameters: []), by: ana)
            Issue.record("a template went out on a channel without templates")
        } catch let error as ServiceError {
            #expect(error.code == "templates_not_supported")
        }
    }
}
