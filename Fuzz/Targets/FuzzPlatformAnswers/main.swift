import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzPlatformAnswers: what it feeds and how is PlatformAnswersHarness's (Fuzz/Harness/Targets/PlatformAnswersHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = PlatformAnswersHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
