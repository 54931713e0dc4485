import Foundation
import SwitchboardAdapterAPI
import Testing

@testable import SwitchboardGateway

/// The upload route's form reader: what browsers send, and what it refuses.
@Suite struct MultipartFormTests {
    @Test func readsWhatTheBuilderWritesAndBrowsersSend() throws {
        var form = MultipartBody(boundary: "XyZ")
        form.field("note", "hello")
        let bytes = Data([0x25, 0x50, 0x44, 0x46, 0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF])
        form.file("file", fileName: "Factura nº \"7\".pdf", mimeType: "application/pdf", content: bytes)
        #expect(MultipartForm.boundary(contentType: form.contentType) == "XyZ")
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=\"a b\"") == "a b")
        #expect(MultipartForm.boundary(contentType: "application/json") == nil)
        let parts = try #require(MultipartForm.parse(form.body, boundary: "XyZ"))
        #expect(parts.map(\.name) == ["note", "file"])
        #expect(parts[0].content == Array("hello".utf8))
        #expect(parts[1].fileName == "Factura nº %227%22.pdf", "quotes travel percent-encoded, as browsers send them")
        #expect(parts[1].contentType == "application/pdf")
        #expect(parts[1].content == Array(bytes), "CRLF and dashes inside the file are the file's")

        let extended = Array(
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"; filename*=UTF-8''na%C3%AFve.txt\r\n\r\nabc\r\n--b--\r\n".utf8)
        #expect(MultipartForm.parse(extended, boundary: "b")?.first?.fileName == "naïve.txt")
    }

    @Test func refusesBrokenForms() {
        #expect(MultipartForm.parse(Array("no boundary here".utf8), boundary: "b") == nil)
        #expect(MultipartForm.parse(Array("--b\r\nno blank line--b--\r\n".utf8), boundary: "b") == nil)
        #expect(MultipartForm.parse(Array("--b\r\n\r\nabc--b--".utf8), boundary: "b") == nil)
    }
}
