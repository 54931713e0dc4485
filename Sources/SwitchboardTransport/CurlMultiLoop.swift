import CCurl
import Dispatch
import Foundation
import Logging
import Synchronization
import SwitchboardAdapterAPI

/// Owns one curl multi handle and the single thread that drives it.
///
/// Callers never touch curl: they drop transfers into a mutex-protected inbox and wake the
/// thread with `curl_multi_wakeup`. The thread does all socket work with `curl_multi_poll`, so
/// a slow endpoint costs one idle connection, never a blocked executor thread. The multi
/// handle keeps the connection cache, so keep-alive works across transfers.
final class CurlMultiLoop: Sendable {
    /// Transfers in flight are tracked by the loop thread alone; the inbox is the only state
    /// other threads touch.
    private struct Inbox {
        var pending: [any CurlTransfer] = []
        var cancelled: [ObjectIdentifier] = []
        var isShutDown = false
        /// The multi handle is being freed: no more `curl_multi_wakeup` on it.
        var isClosed = false
    }

    private let inbox = Mutex(Inbox())
    private let multi: MultiHandle
    private let exited = DispatchGroup()

    /// Fails only if libcurl cannot allocate its state or initialise TLS.
    init(maxConnectionsPerHost: Int, logger: Logger) throws(TransportError) {
        let initResult = CurlGlobal.initResult
        guard initResult == CURLE_OK else {
            throw TransportError("libcurl unavailable: \(String(cString: curl_easy_strerror(initResult)))")
        }
        guard let handle = curl_multi_init() else { throw TransportError("libcurl unavailable: curl_multi_init failed") }
        // curl queues transfers beyond the limit internally instead of opening more sockets.
        _ = sb_multi_setopt_long(handle, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, maxConnectionsPerHost))
        multi = MultiHandle(pointer: handle)

        exited.enter()
        // The thread retains the loop until it has finished tearing curl down.
        let thread = Thread { [self] in
            var logger = logger
            logger[metadataKey: "component"] = "curl-loop"
            LoopThread(loop: self, multi: multi.pointer, logger: logger).run()
            exited.leave()
        }
        thread.name = "switchboard-curl"
        thread.start()
    }

    /// Hands a transfer to the loop; a transfer that cannot start is failed right away.
    func submit(_ transfer: any CurlTransfer) {
        let rejection: (any Error)? = inbox.withLock { box in
            if box.isShutDown { return TransportError("transport shut down") }
            // Checked under the lock so a concurrent `cancel` either sees the transfer pending
            // or happened before this check and is seen here.
            if Task.isCancelled { return CancellationError() }
            box.pending.append(transfer)
            wake(box)
            return nil
        }
        if let rejection { transfer.fail(rejection) }
    }

    /// Stops the transfer if it is still running; a finished transfer is left alone.
    func cancel(_ transfer: any CurlTransfer) {
        let id = ObjectIdentifier(transfer)
        let unstarted: (any CurlTransfer)? = inbox.withLock { box in
            if let index = box.pending.firstIndex(where: { ObjectIdentifier($0) == id }) {
                return box.pending.remove(at: index)
            }
            box.cancelled.append(id)
            wake(box)
            return nil
        }
        unstarted?.fail(CancellationError())
    }

    /// Fails every pending and running transfer and waits for the thread to release curl.
    /// Idempotent. Must not be called from the loop thread (nothing there calls it).
    func shutdown() {
        let orphans: [any CurlTransfer] = inbox.withLock { box in
            guard !box.isShutDown else { return [] }
            box.isShutDown = true
            defer { box.pending = [] }
            wake(box)
            return box.pending
        }
        for transfer in orphans { transfer.fail(TransportError("transport shut down")) }
        exited.wait()
    }

    /// What the loop thread picks up on each turn.
    fileprivate func takeWork() -> (pending: [any CurlTransfer], cancelled: [ObjectIdentifier], shutDown: Bool) {
        inbox.withLock { box in
            defer { box.pending = []; box.cancelled = [] }
            return (box.pending, box.cancelled, box.isShutDown)
        }
    }

    /// Called by the loop thread just before it frees the multi handle.
    fileprivate func close() -> [any CurlTransfer] {
        inbox.withLock { box in
            box.isClosed = true
            box.isShutDown = true
            defer { box.pending = [] }
            return box.pending
        }
    }

    /// Only under the inbox lock, so it cannot race with the handle being freed.
    private func wake(_ box: Inbox) {
        if !box.isClosed { _ = curl_multi_wakeup(multi.pointer) }
    }
}

/// `@unchecked Sendable` because the pointer crosses to the caller threads only for
/// `curl_multi_wakeup`, which libcurl documents as thread-safe, and only while the inbox lock
/// shows the handle is not yet freed. Every other use stays on the loop thread.
private struct MultiHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
}

/// The state only the loop thread sees: active transfers and idle easy handles.
private final class LoopThread {
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
            for id in work.cancelled { abort(id, with: CancellationError()) }
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

    private func abort(_ id: ObjectIdentifier, with error: any Error) {
        guard let handle = handleByTransfer[id], let aborted = detach(handle) else { return }
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
