import CCurl
import Dispatch
import Foundation
import Logging
import SwitchboardAdapterAPI
import Synchronization

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
        /// Held strongly, not by id, so a freed transfer's address cannot be reused by a new
        /// transfer that a stale cancellation would then hit.
        var cancelled: [any CurlTransfer] = []
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
            CurlLoopThread(loop: self, multi: multi.pointer, logger: logger).run()
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
            if !box.isClosed {
                box.cancelled.append(transfer)
                wake(box)
            }
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
    func takeWork() -> (pending: [any CurlTransfer], cancelled: [any CurlTransfer], shutDown: Bool) {
        inbox.withLock { box in
            defer {
                box.pending = []
                box.cancelled = []
            }
            return (box.pending, box.cancelled, box.isShutDown)
        }
    }

    /// Called by the loop thread just before it frees the multi handle.
    func close() -> [any CurlTransfer] {
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
