import CMalloc
import Glibc
import Metrics
import ServiceLifecycle

/// The gateway's memory as gauges, every few seconds: the resident set, and the allocator's share of
/// it split into what live objects use and what it holds free. They tell a leak (in use grows) from
/// the heaps fragmenting (free grows); SQLite's own share of the in-use bytes is
/// `switchboard_sqlite_memory_bytes`. (A 30-minute soak with them: in use flat at 40–45 MB, free
/// 5 → 20 MB, the RSS rising with it. `malloc_trim` once a minute did not lower it, so that free
/// memory is most likely in pieces smaller than a page, which no trim returns.)
struct ProcessMemory: Service {
    var every: Duration = .seconds(5)
    private let resident = Gauge(label: "switchboard_process_resident_bytes")
    private let inUse = Gauge(label: "switchboard_malloc_in_use_bytes")
    /// Free blocks in the heaps, whether their pages are resident or were given back.
    private let heldFree = Gauge(label: "switchboard_malloc_free_bytes")

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                record()
                try? await Task.sleep(for: every)
            }
        }
    }

    func record() {
        if let pages = Self.residentPages() { resident.record(pages * sysconf(Int32(_SC_PAGESIZE))) }
        // Walks every heap's free lists under its lock: microseconds, every few seconds.
        let info = mallinfo2()
        inUse.record(Int(info.uordblks + info.hblkhd))
        heldFree.record(Int(info.fordblks))
    }

    /// The second field of `/proc/self/statm`.
    private static func residentPages() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count > 1 else { return nil }
        return Int(String(decoding: fields[1], as: UTF8.self))
    }
}
