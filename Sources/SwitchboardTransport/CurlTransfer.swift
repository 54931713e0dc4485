import CCurl
import SwitchboardAdapterAPI
import Synchronization

/// One exchange the multi loop drives, whatever the protocol. HTTP is the only one today;
/// an SMTP or IMAP transfer would conform to this and reuse ``CurlMultiLoop`` unchanged.
protocol CurlTransfer: AnyObject, Sendable {
    /// Sets every option on a freshly reset handle. Runs on the loop thread.
    func configure(_ easy: CurlEasy) throws(TransportError)
    /// curl finished the transfer (`code` says how). Runs on the loop thread, before the
    /// handle is reset, so `easy` can still be queried.
    func complete(_ easy: CurlEasy, code: CURLcode)
    /// Ends the transfer without an answer. May run on any thread; only the first of
    /// `complete`/`fail` has an effect.
    func fail(_ error: any Error)
}

/// A continuation that can be resumed from whichever path ends the transfer first
/// (completion, cancellation, shutdown) without risking a double resume.
final class Completion<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    func install(_ continuation: CheckedContinuation<Value, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(with result: Result<Value, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}

/// libcurl's global state must be set up once per process before any handle exists, and
/// `curl_global_init` is not thread-safe on every build; a lazy static is initialised exactly
/// once under Swift's own once-lock.
enum CurlGlobal {
    static let initResult: CURLcode = sb_global_init()
}
