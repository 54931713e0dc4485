import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzPhoneLog: what it feeds and how is PhoneLogHarness's (Fuzz/Harness/Targets/PhoneLogHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = PhoneLogHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
