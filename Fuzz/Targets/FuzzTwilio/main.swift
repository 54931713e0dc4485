import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzTwilio: what it feeds and how is TwilioHarness's (Fuzz/Harness/Targets/TwilioHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = TwilioHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
