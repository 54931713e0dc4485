import Foundation
import SwitchboardAdapterAPI
import Testing
import ZIPFoundation

@testable import SwitchboardCore
@testable import SwitchboardGateway

/// The customer's record as files: what the zip holds, and a page whose customer strings never run.
@Suite struct CustomerRecordFilesTests {
    static let at = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(body: String, name: String, fileName: String) -> CustomerRecord {
        let file = CustomerRecord.File(
            index: 0, kind: "document", mimeType: "application/pdf", fileName: fileName, size: 4, sha256: "ab",
            path: CustomerRecords.filePath(message: 7, index: 0, name: fileName), details: nil)
        let message = CustomerRecord.Message(
            id: 7, direction: .inbound, internal: false, adapter: "mail", channel: "email", author: nil, body: body, originalBody: nil,
            createdAt: at, sentAt: nil, editedAt: nil, externalID: nil, inReplyTo: nil, delivery: nil, metadata: nil, attachments: [file])
        let note = CustomerRecord.Message(
            id: 8, direction: .note, internal: true, adapter: nil, channel: nil, author: "ana", body: "called back", originalBody: nil,
            createdAt: at, sentAt: nil, editedAt: nil, externalID: nil, inReplyTo: nil, delivery: nil, metadata: nil, attachments: nil)
        return CustomerRecord(
            exportedAt: at, exportedBy: "marta",
            customer: CustomerRecord.Customer(
                id: 3, name: name, createdAt: at, erasedAt: nil, contacts: 1, firstContactAt: at, lastContactAt: at),
            identities: [CustomerRecord.Identity(channel: "email", adapter: "mail", address: "eva@example.com", createdAt: at)],
            absorbedCustomers: [], merges: [],
            conversations: [
                CustomerRecord.Conversation(
                    id: 5, reference: "SB-5", status: .open, owner: "ana", assignee: "ana", team: nil, mergedInto: nil, tags: [],
                    messages: [message, note])
            ],
            context: [:])
    }

    @Test func thePageEscapesEveryCustomerString() {
        let page = CustomerRecordFiles.html(
            Self.record(body: "<script>alert(1)</script> & \"quotes\"", name: "<img src=x onerror=alert(2)>", fileName: "a\"b.pdf")
        ) { file, _ in file.path }
        #expect(!page.contains("<script>alert"))
        #expect(!page.contains("<img src=x"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"))
        #expect(page.contains("Internal note by ana"))
        #expect(page.contains("eva@example.com"))
    }

    @Test func fileNamesInTheZipCannotLeaveItsFolder() {
        #expect(CustomerRecords.filePath(message: 1, index: 0, name: "../../etc/passwd") == "attachments/1-0-_._.._etc_passwd")
        #expect(CustomerRecords.filePath(message: 1, index: 2, name: ".hidden") == "attachments/1-2-_hidden")
        #expect(CustomerRecords.filePath(message: 1, index: 0, name: nil) == "attachments/1-0-file")
        #expect(CustomerRecords.filePath(message: 1, index: 0, name: "Factura nº 7.pdf") == "attachments/1-0-Factura_n__7.pdf")
    }

    @Test func theZipHoldsTheRecordThePageAndTheFiles() async throws {
        let record = Self.record(body: "my parcel", name: "Eva", fileName: "invoice.pdf")
        let bytes = try await CustomerRecordFiles.zip(record) { message, index in
            message == 7 && index == 0 ? Data("%PDF".utf8) : nil
        }
        let archive = try Archive(data: bytes, accessMode: .read)
        func read(_ path: String) throws -> Data {
            let entry = try #require(archive[path])
            var data = Data()
            _ = try archive.extract(entry) { data.append($0) }
            return data
        }
        let json = try JSONSerialization.jsonObject(with: try read("customer.json")) as? [String: Any]
        #expect(json?["format"] as? String == "switchboard-customer-record")
        #expect(String(decoding: try read("customer.html"), as: UTF8.self).contains("attachments/7-0-invoice.pdf"))
        #expect(try read("attachments/7-0-invoice.pdf") == Data("%PDF".utf8))
    }
}
