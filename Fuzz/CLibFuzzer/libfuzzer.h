// libFuzzer's driver, for programs that keep their own main (SwiftPM gives every executable one, so
// libFuzzer's main is never linked in). Defined by the runtime that -sanitize=fuzzer links.
#include <stddef.h>
#include <stdint.h>

typedef int (*LLVMFuzzerCallback)(const uint8_t *data, size_t size);

int LLVMFuzzerRunDriver(int *argc, char ***argv, LLVMFuzzerCallback callback);
