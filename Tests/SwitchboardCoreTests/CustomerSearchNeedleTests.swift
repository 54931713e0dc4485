import SwitchboardCore
import Testing

/// What every engine's customer search compares.
@Suite struct CustomerSearchNeedleTests {
    @Test func phoneNumbersAreComparedByTheirDigitsAndTextLowercased() {
        #expect(CustomerSearchNeedle("+34 600-12 (3)").plain == "34600123")
        #expect(CustomerSearchNeedle("600").plain == "600", "fewer than four digits: the text itself")
        #expect(CustomerSearchNeedle("Lucía GARCÍA").plain == "lucía garcía")
        #expect(CustomerSearchNeedle("Room 101").plain == "room 101", "digits among letters are not a phone number")
    }

    @Test func likesOwnCharactersAreEscaped() {
        #expect(CustomerSearchNeedle("50%_off\\x").likePattern == "%50\\%\\_off\\\\x%")
        #expect(CustomerSearchNeedle("ana").likePattern == "%ana%")
    }
}
