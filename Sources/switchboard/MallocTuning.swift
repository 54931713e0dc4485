import CMalloc
import Glibc

/// glibc's allocator, tuned for a gateway that stores thousands of messages a second.
///
/// By default a thread's heap gives memory back to the kernel as soon as 128 KiB at its top are free,
/// and blocks from 128 KiB up are mapped and unmapped one by one. The SQLite writer (statement
/// journals, FTS5 index buffers) frees and takes such blocks again every transaction, so the kernel
/// zeroed the same pages over and over: page faults and `madvise` were a quarter of the writer
/// thread's time. Keeping up to 16 MiB per heap measured 10–18 % more messages a second here (README
/// Performance); `MALLOC_TRIM_THRESHOLD_` / `MALLOC_MMAP_THRESHOLD_` / `MALLOC_ARENA_MAX` in the
/// environment still win.
enum MallocTuning {
    static let keptBytes: Int32 = 16 << 20
    /// One heap for every thread (glibc's default is 8 per core). With four, freed memory scattered
    /// over the heaps was seldom reused: in a 30-minute soak the free bytes grew from 5 to 20 MB while
    /// the bytes in use stayed flat, and the RSS rose 12 %. With one, the free bytes stayed at about
    /// 3 MB and the RSS within 1.5 % over 10 minutes, at the same CPU per message in a closed loop
    /// (threads take small blocks from their own caches first, so they seldom wait on its lock).
    static let heaps: Int32 = 1

    static func apply() {
        if getenv("MALLOC_TRIM_THRESHOLD_") == nil { _ = mallopt(M_TRIM_THRESHOLD, keptBytes) }
        if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = mallopt(M_MMAP_THRESHOLD, keptBytes) }
        if getenv("MALLOC_ARENA_MAX") == nil { _ = mallopt(M_ARENA_MAX, heaps) }
    }
}
