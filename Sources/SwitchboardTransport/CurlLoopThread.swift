import CCurl
import Logging
import SwitchboardAdapterAPI

/// The state only the loop thread sees: active transfers and idle easy handles. Created and
/// run on that thread, so it needs no locks and is deliberately not `Sendable`.
final class CurlLoopThread {
    private struct Active {
        let transfer: any CurlTransfer
        let easy: CurlEasy
    }

    /// Enough to absorb bursts without holding many idle handles; connections live in the
    /// multi handle's cache, so a dropped easy handle loses nothing.
    private static let idlePoolLimit = 32
    /// Upper bound on one poll; curl shortens it to its own next timer.
    private static let pollTimeoutMs: Int32 = 1000

    private let loop: CurlMultiLoop
    private let multi: UnsafeMutableRawPointer
    private let logger: Logger
    private var active: [UnsafeMutableRawPointer: Active] = [:]
    private var handleByTransfer: [ObjectIdentifier: UnsafeMutableRawPointer] = [:]
    private var idle: [CurlEasy] = []

    init(loop: CurlMultiLoop, multi: UnsafeMutableRawPointer, logger: Logger) {
        self.loop = loop
        self.multi = multi
        self.logger = logger
    }

    func run() {
        logger.debug("curl loop started")
        while true {
            let work = loop.takeWork()
            if work.shutDown { break }
            for transfer in work.pending { start(transfer) }
            for transfer in work.cancelled { abort(transfer, with: CancellationError()) }
            var running: Int32 = 0
            let performCode = curl_multi_perform(multi, &running)
            if performCode != CURLM_OK { logMultiError("curl_multi_perform", performCode) }
            collectFinished()
            let pollCode = curl_multi_poll(multi, nil, 0, Self.pollTimeoutMs, nil)
            if pollCode != CURLM_OK { logMultiError("curl_multi_poll", pollCode) }
        }
        tearDown()
        logger.debug("curl loop stopped")
    }

    private func start(_ transfer: any CurlTransfer) {
        guard let easy = idle.popLast() ?? CurlEasy() else {
            transfer.fail(TransportError("could not start transfer: curl_easy_init failed"))
            return
        }
        do {
            try transfer.configure(easy)
        } catch {
            transfer.fail(error)
            recycle(easy)
            return
        }
        let code = curl_multi_add_handle(multi, easy.handle)
        guard code == CURLM_OK else {
            transfer.fail(TransportError("could not start transfer: \(String(cString: curl_multi_strerror(code)))"))
            recycle(easy)
            return
        }
        active[easy.handle] = Active(transfer: transfer, easy: easy)
        handleByTransfer[ObjectIdentifier(transfer)] = easy.handle
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            // Read before detaching: removing the handle invalidates the message.
            let code = message.pointee.data.result
            guard let finished = detach(handle) else { continue }
            finished.transfer.complete(finished.easy, code: code)
            recycle(finished.easy)
        }
    }

    /// A transfer that already finished is not in `handleByTransfer` any more and is skipped.
    private func abort(_ transfer: any CurlTransfer, with error: any Error) {
        guard let handle = handleByTransfer[ObjectIdentifier(transfer)], let aborted = detach(handle) else { return }
        aborted.transfer.fail(error)
        recycle(aborted.easy)
    }

    private func detach(_ handle: UnsafeMutableRawPointer) -> Active? {
        guard let entry = active.removeValue(forKey: handle) else { return nil }
        handleByTransfer[ObjectIdentifier(entry.transfer)] = nil
        _ = curl_multi_remove_handle(multi, handle)
        return entry
    }

    private func recycle(_ easy: CurlEasy) {
        easy.reset()
        if idle.count < Self.idlePoolLimit { idle.append(easy) }
    }

    private func tearDown() {
        let orphans = loop.close()
        let shutDown = TransportError("transport shut down")
        for transfer in orphans { transfer.fail(shutDown) }
        for handle in Array(active.keys) {
            guard let entry = detach(handle) else { continue }
            entry.transfer.fail(shutDown)
            entry.easy.reset()
        }
        idle.removeAll()
        curl_multi_cleanup(multi)
    }

    private func logMultiError(_ call: String, _ code: CURLMcode) {
        logger.warning("\(call) failed", metadata: ["error": "\(String(cString: curl_multi_strerror(code)))"])
    }
}
