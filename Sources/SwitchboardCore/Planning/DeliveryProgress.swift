import SwitchboardAdapterAPI

extension DeliveryState {
    /// The state a platform's report moves a reply to, or nil when it would move it back: a late
    /// `sent` never overwrites `delivered`, while `failed` may follow anything (a delivered message
    /// can still bounce).
    public func advanced(by report: DeliveryStatusUpdate.State) -> DeliveryState? {
        let next: DeliveryState =
            switch report {
            case .sent: .sent
            case .delivered, .read: .delivered
            case .failed: .failed
            }
        return next.rank > rank ? next : nil
    }

    private var rank: Int {
        switch self {
        case .queued: 0
        case .sent: 1
        case .delivered: 2
        case .failed: 3
        }
    }
}
