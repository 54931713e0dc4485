// glibc's allocator, tuned for a gateway that stores thousands of messages a second. Set from a
// constructor, before main: a setting made from Swift came after the runtime's first threads had
// already made heaps of their own.
//
// - Each heap keeps up to 16 MiB free, and blocks below 16 MiB come from the heaps. By default a heap
//   gives memory back as soon as 128 KiB at its top are free, and blocks from 128 KiB up are mapped one
//   by one; the SQLite writer frees and takes such blocks every transaction, so the kernel zeroed the
//   same pages over and over (page faults and madvise were a quarter of the writer thread's time).
//   Keeping them measured 10-18 % more messages a second (README, Performance).
// - One heap for every thread (glibc's default is 8 per core). With four, freed memory spread over the
//   heaps and was seldom reused: in a 30-minute soak the free bytes grew from 5 to 20 MB while the bytes
//   in use stayed flat, and the RSS rose 12 %. With one, the free bytes stayed at 3-4 MB over 10 minutes,
//   at the same CPU per message in a closed loop (threads take small blocks from their own caches first,
//   so they seldom wait on its lock). A 30-minute soak with one heap: RSS +3.8 %, and a profile late in
//   a soak shows no waits on that lock (README, Soak).
//
// MALLOC_TRIM_THRESHOLD_, MALLOC_MMAP_THRESHOLD_ and MALLOC_ARENA_MAX in the environment still win.
#include <malloc.h>
#include <stdlib.h>

__attribute__((constructor)) static void switchboard_tune_malloc(void) {
    const int kept = 16 << 20;
    if (getenv("MALLOC_TRIM_THRESHOLD_") == NULL) mallopt(M_TRIM_THRESHOLD, kept);
    if (getenv("MALLOC_MMAP_THRESHOLD_") == NULL) mallopt(M_MMAP_THRESHOLD, kept);
    if (getenv("MALLOC_ARENA_MAX") == NULL) mallopt(M_ARENA_MAX, 1);
}
