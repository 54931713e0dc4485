import Foundation
import PhoneLogAdapter
import Testing

/// A `cdr_csv` row with `newcdrcolumns=yes` (21 columns): `linkedid` joins a call's legs.
func cdrRow(_ uniqueid: String, caller: String, disposition: String = "ANSWERED", billsec: Int = 30, linkedid: String? = nil) -> String {
    let answer = billsec > 0 ? "2024-06-10 08:00:05" : ""
    return #""","\#(caller)","910000000","from-pstn","""Caller"" <\#(caller)>","PJSIP/trunk-01","PJSIP/1001-02","Dial","PJSIP/1001,30","#
        + #""2024-06-10 08:00:00","\#(answer)","2024-06-10 08:01:00",60,\#(billsec),"\#(disposition)","DOCUMENTATION","\#(uniqueid)","","","#
        + #""\#(linkedid ?? uniqueid)",1"#
}

/// A scratch directory with one CDR file in it.
struct CDRScratch {
    let directory: URL
    var path: String { directory.appendingPathComponent("Master.csv").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-cdr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data())
    }

    func append(_ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func cleanup() { try? FileManager.default.removeItem(at: directory) }
}

@Suite struct CDRFileFollowerTests {
    /// The unique ids of the rows a read returned, in order.
    static func ids(_ chunk: CDRFileFollower.Chunk?) -> [String] {
        guard let chunk else { return [] }
        return CSVReader(chunk.rows, multilineFields: false).records().map { $0.fields[16] }
    }

    /// Reads until nothing new is returned (the file no longer grows), as the poll loop does.
    static func drain(_ follower: inout CDRFileFollower) throws -> [String] {
        var all: [String] = []
        while true {
            // A read may hold the last call back for one more read, so two empty reads in a row end it.
            if let chunk = try follower.read() ?? follower.read() {
                all += ids(chunk)
            } else {
                return all
            }
        }
    }

    @Test func readsOnlyCompleteNewLinesAndKeepsTheRowsOfACallTogether() throws {
        let file = try CDRScratch()
        defer { file.cleanup() }
        var follower = CDRFileFollower(path: file.path, decoder: AsteriskCDRDecoder())
        #expect(try follower.read() == nil)

        try file.append(cdrRow("1.1", caller: "600000001") + "\n" + cdrRow("1.2", caller: "600000002") + "\n")
        // The file just grew: its last call may have more legs coming, so it waits one read.
        #expect(Self.ids(try follower.read()) == ["1.1"])
        #expect(Self.ids(try follower.read()) == ["1.2"])
        #expect(try follower.read() == nil)

        // A line still being written is not read; once finished it is, once.
        let partial = cdrRow("1.3", caller: "600000003")
        try file.append(String(partial.prefix(40)))
        #expect(try Self.drain(&follower) == [])
        try file.append(String(partial.dropFirst(40)) + "\n")
        #expect(try Self.drain(&follower) == ["1.3"])

        // Two legs of one ring-group call written across two reads still arrive together.
        try file.append(cdrRow("1.4", caller: "600000004", disposition: "NO ANSWER", billsec: 0) + "\n")
        #expect(try follower.read() == nil)
        try file.append(cdrRow("1.5", caller: "600000004", linkedid: "1.4") + "\n")
        #expect(try follower.read() == nil)
        let call = try follower.read()
        #expect(Self.ids(call) == ["1.4", "1.5"])
        #expect(call?.firstLine == 4)
    }

    @Test func aTruncatedFileIsReadFromTheTopAndARotatedOneIsFinishedFirst() throws {
        let file = try CDRScratch()
        defer { file.cleanup() }
        try file.append(
            "accountcode,src,dst,dcontext,clid,channel,dstchannel,lastapp,lastdata,start,answer,end,duration,billsec,"
                + "disposition,amaflags,uniqueid,userfield,peeraccount,linkedid,sequence\n")
        try file.append(cdrRow("2.1", caller: "600000001") + "\n" + cdrRow("2.2", caller: "600000002") + "\n")
        var follower = CDRFileFollower(path: file.path, decoder: AsteriskCDRDecoder())
        var first = try #require(try follower.read())
        #expect(first.header != nil)
        #expect(first.firstLine == 2)
        #expect(Self.ids(first) == ["2.1"])
        #expect(try Self.drain(&follower) == ["2.2"])

        // logrotate's copytruncate: the same file, empty again, then new rows.
        try FileHandle(forWritingAtPath: file.path)?.truncate(atOffset: 0)
        try file.append(cdrRow("2.3", caller: "600000003") + "\n")
        first = try #require(try follower.read() ?? follower.read())
        #expect(first.startedOver)
        #expect(first.firstLine == 1)
        #expect(first.header == nil)
        #expect(Self.ids(first) == ["2.3"])

        // Renamed away and re-created: the old file's last rows (the last even without its
        // newline) come before the new file's.
        try file.append(cdrRow("2.4", caller: "600000004") + "\n" + cdrRow("2.5", caller: "600000005"))
        try FileManager.default.moveItem(atPath: file.path, toPath: file.path + ".1")
        _ = FileManager.default.createFile(atPath: file.path, contents: Data((cdrRow("2.6", caller: "600000006") + "\n").utf8))
        #expect(try Self.drain(&follower) == ["2.4", "2.5", "2.6"])
        try file.append(cdrRow("2.7", caller: "600000007") + "\n")
        #expect(try Self.drain(&follower) == ["2.7"])
    }

    @Test func aLargeFileIsReadInSlicesWithoutLosingARow() throws {
        let file = try CDRScratch()
        defer { file.cleanup() }
        let rows = (0..<2000).map { cdrRow("3.\($0)", caller: "6000\(String(format: "%05d", $0))") }
        try file.append(rows.joined(separator: "\n") + "\n")
        var follower = CDRFileFollower(path: file.path, decoder: AsteriskCDRDecoder(), sliceBytes: 16 * 1024)
        var reads = 0
        var all: [String] = []
        while let chunk = try follower.read(untilEnd: true) {
            reads += 1
            all += Self.ids(chunk)
        }
        #expect(reads > 10)
        #expect(all == (0..<2000).map { "3.\($0)" })
    }
}
