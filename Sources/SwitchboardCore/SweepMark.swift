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

    /// When the mark is reached, keeps only the entries of `map` that `keep` says are still live.
    mutating func sweepIfDue<Value>(_ map: inout [String: Value], keeping keep: (Value) -> Bool) {
        guard map.count >= at else { return }
        map = map.filter { keep($0.value) }
        at = max(floor, 2 * map.count)
        sweeps += 1
    }
}
