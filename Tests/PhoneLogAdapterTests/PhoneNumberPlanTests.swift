import PhoneLogAdapter
import Testing

@Suite("Phone numbers")
struct PhoneNumberPlanTests {
    @Test func nationalNumbersBecomeE164WithTheCountryCode() {
        let spain = PhoneNumberPlan(countryCode: "34")
        for raw in [
            "600123456", "+34 600 12 34 56", "0034600123456", "34600123456", "sip:600123456@pbx.example.com", "\"Ana\" <600123456>",
            "tel:+34-600-123-456",
        ] {
            #expect(spain.classify(raw) == .external("+34600123456"), "\(raw)")
        }
        let uk = PhoneNumberPlan(countryCode: "44")
        #expect(uk.e164("07700 900123") == "+447700900123")
        let us = PhoneNumberPlan(countryCode: "1")
        #expect(us.e164("(202) 555-0143") == "+12025550143")
        #expect(us.e164("1 202 555 0143") == "+12025550143")
        #expect(us.e164("011 34 600 123 456") == "+34600123456")
        let russia = PhoneNumberPlan(countryCode: "7")
        #expect(russia.e164("89000000001") == "+79000000001")
        #expect(russia.e164("810 34 600123456") == "+34600123456")
        let italy = PhoneNumberPlan(countryCode: "39")
        #expect(italy.e164("06 1234 5678") == "+390612345678", "Italian numbers keep their 0")
    }

    @Test func withoutACountryCodeOnlyInternationalNumbersAreSure() {
        let plan = PhoneNumberPlan()
        #expect(plan.e164("+34600123456") == "+34600123456")
        #expect(plan.e164("34600123456") == "+34600123456")
        #expect(plan.e164("600123456") == nil)
        #expect(plan.classify("600123456") == .external("600123456"))
    }

    @Test func extensionsAndWithheldNumbers() {
        let plan = PhoneNumberPlan(countryCode: "34")
        #expect(plan.classify("1001") == .internal("1001"))
        #expect(plan.classify("client1") == .internal("client1"))
        #expect(plan.classify("s") == .internal("s"))
        #expect(plan.classify("client:agent_ana") == .internal("client:agent_ana"))
        #expect(plan.classify("*98") == .internal("*98"))
        for withheld in ["", "anonymous", "Restricted", "unknown", "+266696687", "\"Anonymous\" <anonymous>"] {
            #expect(plan.classify(withheld) == .anonymous, "\(withheld)")
        }
        #expect(PhoneNumberPlan(countryCode: "34", maxExtensionLength: 3).classify("1001") == .external("+341001"))
    }
}
