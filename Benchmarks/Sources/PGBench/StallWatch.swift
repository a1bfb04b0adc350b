/// Until cancelled, every second: when `progress` reports a waiter whose count has not moved
/// for `stallSeconds`, calls `stalled` with that count once and returns (a benchmark that
/// would otherwise wait forever for a lost message fails instead).
func watchForStall(stallSeconds: Int, progress: () -> (count: Int, waiting: Bool), stalled: (Int) -> Void) async {
    var last = -1
    var seconds = 0
    while !Task.isCancelled {
        try? await Task.sleep(for: .seconds(1))
        let (count, waiting) = progress()
        seconds = waiting && count == last ? seconds + 1 : 0
        last = count
        if seconds >= stallSeconds {
            stalled(count)
            return
        }
    }
}
