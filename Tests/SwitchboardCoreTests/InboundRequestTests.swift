import SwitchboardAdapterAPI
import Testing

/// The media type adapters check a hook's body against: parameters dropped, blanks around it
/// dropped, lower-cased.
@Suite struct InboundRequestTests {
    static func request(contentType: String?) -> InboundRequest {
        InboundRequest(method: "POST", path: "/hooks/x", headers: contentType.map { [("content-type", $0)] } ?? [])
    }

    @Test(arguments: [
        ("application/json", "application/json"),
        ("Message/RFC822", "message/rfc822"),
        (" message/rfc822 ; charset=utf-8", "message/rfc822"),
        ("\ttext/plain\t;format=flowed", "text/plain"),
        ("application/json;charset=utf-8", "application/json"),
        (";charset=utf-8", ""),
        ("   ", ""),
        ("", ""),
    ])
    func mediaTypeIsTheTypeWithoutParametersOrBlanks(header: String, expected: String) {
        #expect(Self.request(contentType: header).mediaType == expected)
    }

    @Test func noContentTypeHasNoMediaType() {
        #expect(Self.request(contentType: nil).mediaType == nil)
    }
}
