import Foundation
import PGEventStore
import PGWire
import Testing

extension StoreIntegration {
    @Suite struct ZZCatchUpProbe {
        @Test(.enabled(if: ProcessInfo.processInfo.environment["PROBE"] != nil)) func probe() async throws {
            let store = try await StoreIntegration.freshStore(copyThreshold: 1_000)
            defer { Task { await store.close() } }
            let n = 200_000
            for batch in 0..<(n / 1_000) {
                try await store.append([StreamWrite(stream: "p-\(batch)", expected: .any, events: try StoreIntegration.events(1_000))])
            }
            for round in 0..<2 {
                var start = ContinuousClock.now
                var count = 0
                for try await _ in store.readAll() { count += 1 }
                let readAll = ContinuousClock.now - start
                start = ContinuousClock.now
                let subscription = try store.follow(options: SubscriptionOptions(start: .start))
                count = 0
                for try await _ in subscription {
                    count += 1
                    if count == n { subscription.stop() }
                }
                let sub = ContinuousClock.now - start
                start = ContinuousClock.now
                let named = try store.subscribe("probe\(round)")
                count = 0
                for try await _ in named {
                    count += 1
                    if count == n { named.stop() }
                }
                let nam = ContinuousClock.now - start
                func rate(_ d: Duration) -> Int { Int(Double(n) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)) }
                print("PROBE readAll \(rate(readAll))/s follow \(rate(sub))/s named \(rate(nam))/s")
            }
        }
    }
}
