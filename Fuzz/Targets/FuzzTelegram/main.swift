import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzTelegram: what it feeds and how is TelegramHarness's (Fuzz/Harness/Targets/TelegramHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = TelegramHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
