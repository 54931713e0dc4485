import SwitchboardFuzzDriver
import SwitchboardFuzzHarness

// FuzzWebhook: what it feeds and how is WebhookHarness's (Fuzz/Harness/Targets/WebhookHarness.swift).

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = WebhookHarness.run(FuzzDriver.bytes(data, size))
    return 0
}

FuzzDriver.run(testOneInput)
