import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzConfig: what it feeds and how is ConfigHarness's (Fuzz/Harness/Targets/ConfigHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = ConfigHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
