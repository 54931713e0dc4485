import Foundation
import Testing

@testable import SwitchboardLMTP

/// Whole sessions over a real socket, against a real pipeline on the memory store.
struct LMTPSessionTests {
    @Test func aPipelinedTransactionGetsOneReplyPerRecipientOnceStored() async throws {
        try await LMTPHarness.with { harness in
            let client = try await LineClient.greeted(port: harness.port)
            // One write, as a PIPELINING client sends it.
            client.send(
                "MAIL FROM:<mta@relay.test>\r\nRCPT TO:<support@example.com>\r\nRCPT TO:<nobody@example.com>\r\n"
                    + "RCPT TO:<support+billing@example.com>\r\nDATA\r\n")
            #expect(await client.codes(2) == [250, 250])
            let unknown = await client.reply()
            #expect(unknown.last?.hasPrefix("550 5.1.1") == true)
            #expect(await client.code() == 250)
            #expect(await client.code() == 354)
            client.send("From: ana@customer.test\r\nMessage-ID: m1\r\n\r\n..hello\r\n.\r\n")
            let first = await client.reply()
            let second = await client.reply()
            #expect(first.last?.hasPrefix("250 2.0.0 stored as message") == true)
            #expect(second == first)
            // The same message again (an MTA retrying after a lost reply): stored once.
            client.send("MAIL FROM:<>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
            #expect(await client.code() == 250)
            #expect(await client.code() == 250)
            #expect(await client.code() == 354)
            client.send("From: ana@customer.test\r\nMessage-ID: m1\r\n\r\nhello\r\n.\r\n")
            #expect(await client.reply().last?.hasPrefix("250 2.0.0 already stored") == true)
            client.send("QUIT\r\n")
            #expect(await client.code() == 221)
        }
    }

    @Test func storageUnavailableIs451AndTheRetryIsStored() async throws {
        try await LMTPHarness.with { harness in
            let client = try await LineClient.greeted(port: harness.port)
            harness.store.down.store(true, ordering: .relaxed)
            let mail = "MAIL FROM:<mta@relay.test>\r\nRCPT TO:<support@example.com>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n"
            client.send(mail)
            #expect(await client.codes(4) == [250, 250, 250, 354])
            client.send("From: b@customer.test\r\nMessage-ID: m2\r\n\r\nhi\r\n.\r\n")
            let replies = [await client.reply(), await client.reply()]
            #expect(replies.allSatisfy { $0.last?.hasPrefix("451 4.3.0") == true })
            harness.store.down.store(false, ordering: .relaxed)
            client.send(mail)
            #expect(await client.codes(4) == [250, 250, 250, 354])
            client.send("From: b@customer.test\r\nMessage-ID: m2\r\n\r\nhi\r\n.\r\n")
            #expect(await client.code() == 250)
            #expect(await client.code() == 250)
        }
    }

    @Test func whatCanNeverBeStoredIs550AndTooLargeIs552() async throws {
        try await LMTPHarness.with([TestMailAdapter(maxMessageBytes: 2000)]) { harness in
            let client = try await LineClient.greeted(port: harness.port)
            client.send("MAIL FROM:<a@relay.test> SIZE=999999\r\n")
            #expect(await client.reply().last?.hasPrefix("552 5.3.4") == true)
            client.send("MAIL FROM:<a@relay.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
            #expect(await client.codes(3) == [250, 250, 354])
            client.send(String(repeating: "x", count: 3000) + "\r\n.\r\n")
            #expect(await client.reply().last?.hasPrefix("552 5.3.4") == true)
            client.send("MAIL FROM:<a@relay.test>\r\nRCPT TO:<support@example.com>\r\nDATA\r\n")
            #expect(await client.codes(3) == [250, 250, 354])
            client.send("this is no mail\r\n.\r\n")
            #expect(await client.reply().last?.hasPrefix("550 5.6.0") == true)
        }
    }

    @Test func commandsOutOfOrderAreRefusedAndTheSessionGoesOn() async throws {
        try await LMTPHarness.with { harness in
            let client = try harness.connect()
            #expect(await client.code() == 220)
            client.send("EHLO mx.test\r\nMAIL FROM:<a@relay.test>\r\nLHLO mx.test\r\n")
            #expect(await client.code() == 500)
            #expect(await client.code() == 503)
            let capabilities = await client.reply()
            #expect(capabilities.contains("250-PIPELINING") && capabilities.contains("250-ENHANCEDSTATUSCODES"))
            client.send("RCPT TO:<support@example.com>\r\nDATA\r\nMAIL FROM:<a@relay.test>\r\nDATA\r\nRSET\r\nNOOP\r\n")
            #expect(await client.codes(6) == [503, 503, 250, 503, 250, 250])
        }
    }

    @Test func slowAndHostileClientsAreCutOff() async throws {
        let limits = LMTPLimits(commandTimeout: .milliseconds(300), dataTimeout: .milliseconds(300), idleTimeout: .milliseconds(500), maxErrors: 3)
        try await LMTPHarness.with(limits: limits, maxConnections: 2) { harness in
            // Idle: closed with 421.
            let idle = try harness.connect()
            #expect(await idle.code() == 220)
            #expect(await idle.code() == 421)
            #expect(await idle.closed())
            // A command dribbled: its clock runs from its first byte.
            let dribbling = try harness.connect()
            #expect(await dribbling.code() == 220)
            for _ in 0..<3 {
                dribbling.send("N")
                try await Task.sleep(for: .milliseconds(150))
            }
            #expect(await dribbling.code() == 421)
            // A line without end: refused and closed.
            let long = try harness.connect()
            #expect(await long.code() == 220)
            long.send(String(repeating: "A", count: 5000))
            #expect(await long.code() == 500)
            #expect(await long.closed())
            // Errors without end.
            let noisy = try harness.connect()
            #expect(await noisy.code() == 220)
            noisy.send("X\r\nY\r\nZ\r\nW\r\n")
            #expect(await noisy.codes(4) == [500, 500, 500, 421])
            #expect(await noisy.closed())
            try await Task.sleep(for: .milliseconds(200))
            // Over the connection cap.
            // (Which of three connections made at once is the third to be counted is up to the event loops.)
            let three = try [harness.connect(), harness.connect(), harness.connect()]
            var codes: [Int] = []
            for client in three { codes.append(await client.code()) }
            #expect(codes.sorted() == [220, 220, 421])
        }
    }
}
