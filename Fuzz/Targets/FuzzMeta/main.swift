import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzMeta: what it feeds and how is MetaHarness's (Fuzz/Harness/Targets/MetaHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = MetaHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
