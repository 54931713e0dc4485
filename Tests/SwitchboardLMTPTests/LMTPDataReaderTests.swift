import NIOCore
import Testing

@testable import SwitchboardLMTP

/// The message after DATA: dot-unstuffing, both line ends, the size limit, any split of the bytes.
struct LMTPDataReaderTests {
    @Test func unstuffsAndNormalisesLineEnds() {
        var reader = LMTPDataReader(limit: 1000)
        var input = ByteBuffer(string: "Subject: x\r\n\r\n..leading dot\r\nbare lf\n.\r\nMAIL FROM:<>\r\n")
        let finished = reader.consume(&input)
        #expect(finished)
        #expect(String(decoding: reader.message, as: UTF8.self) == "Subject: x\n\n.leading dot\nbare lf\n")
        #expect(String(buffer: input) == "MAIL FROM:<>\r\n")
    }

    @Test func anySplitOfTheBytesReadsTheSame() {
        let wire = Array("a\r\n..b\r\n.c\r\n\r\n.\r\nQUIT\r\n".utf8)
        for cut in 0...wire.count {
            var reader = LMTPDataReader(limit: 1000)
            var first = ByteBuffer(bytes: wire[..<cut])
            var done = reader.consume(&first)
            first.writeBytes(wire[cut...])
            if !done { done = reader.consume(&first) }
            #expect(done, "cut at \(cut)")
            #expect(String(decoding: reader.message, as: UTF8.self) == "a\n.b\nc\n\n", "cut at \(cut)")
            #expect(String(buffer: first) == "QUIT\r\n", "cut at \(cut)")
        }
    }

    @Test func anOversizedMessageIsReadToItsEndButNotKept() {
        var reader = LMTPDataReader(limit: 100)
        let line = String(repeating: "x", count: 70) + "\r\n"
        var input = ByteBuffer(string: line + line + String(repeating: "y", count: 5000))
        let finishedEarly = reader.consume(&input)
        #expect(!finishedEarly)
        #expect(reader.tooLarge)
        #expect(reader.message.isEmpty)
        #expect(input.readableBytes == 0)
        var end = ByteBuffer(string: "yyy\r\n.\r\nNOOP\r\n")
        let finished = reader.consume(&end)
        #expect(finished)
        #expect(String(buffer: end) == "NOOP\r\n")
    }

    @Test func theFinalDotSplitAfterAnOversizedLineIsStillSeen() {
        var reader = LMTPDataReader(limit: 10)
        var input = ByteBuffer(string: String(repeating: "z", count: 50) + "\r\n.\r")
        let finishedEarly = reader.consume(&input)
        #expect(!finishedEarly)
        var rest = input
        rest.writeString("\n")
        let finished = reader.consume(&rest)
        #expect(finished)
        #expect(reader.tooLarge)
    }
}
