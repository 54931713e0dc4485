import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzEmail: what it feeds and how is EmailHarness's (Fuzz/Harness/Targets/EmailHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = EmailHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
