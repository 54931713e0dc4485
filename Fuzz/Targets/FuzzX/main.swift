import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzX: what it feeds and how is XHarness's (Fuzz/Harness/Targets/XHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = XHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
