/// When an in-memory map of per-key state (rate limits, attempt counts) sweeps out its expired keys:
/// once it holds `floor` keys, and after that each time it has doubled since the last sweep.
///
/// Sweeping whenever the map is over a fixed size costs a scan of every key per call once that
/// many keys are live — a busy day's senders, or an attacker's made-up user names, would make each
/// call O(keys). Doubling makes a sweep's cost at most twice the keys added since the one before.
struct SweepMark {
    let floor: Int
    private(set) var at: Int
    private(set) var sweeps = 0

    init(floor: Int) {
        self.floor = floor
        self.at = floor
    }

    /// Whether a map holding `count` keys sweeps now.
    func due(_ count: Int) -> Bool { count >= at }

    /// Records a sweep that left `count` keys.
    mutating func swept(leaving count: Int) {
        at = max(floor, 2 * count)
        sweeps += 1
    }
}
