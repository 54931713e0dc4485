import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzExternal: what it feeds and how is ExternalHarness's (Fuzz/Harness/Targets/ExternalHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = ExternalHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
