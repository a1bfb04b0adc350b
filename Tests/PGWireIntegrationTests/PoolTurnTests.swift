@_spi(Benchmarks) import PGWire
import Testing

extension Integration {
    /// Pooled connections yield after each send and do not spin on their reads by default, so
    /// that many tasks sharing a few threads take turns instead of the first ones keeping the
    /// threads to themselves.
    @Suite struct PoolTurnTests {
        @Test func pooledConnectionsTakeThePoolsReadSettingsOrKeepTheirOwnWhenNil() async throws {
            let defaults = PGPool(configuration: try Integration.poolConfiguration("pool-spin-default", maximum: 1) {
                $0.connection.readSpin = .microseconds(300)
            })
            #expect(try await defaults.withConnection { $0.configuration.readSpin } == .zero)
            #expect(try await defaults.withConnection { $0.configuration.yieldAfterSend })
            await defaults.close()

            let kept = PGPool(configuration: try Integration.poolConfiguration("pool-spin-kept", maximum: 1) {
                $0.connection.readSpin = .microseconds(300)
                $0.readSpin = nil
                $0.yieldAfterSend = nil
            })
            #expect(try await kept.withConnection { $0.configuration.readSpin } == .microseconds(300))
            #expect(try await kept.withConnection { !$0.configuration.yieldAfterSend })
            await kept.close()

            let chosen = PGPool(configuration: try Integration.poolConfiguration("pool-spin-chosen", maximum: 1) {
                $0.readSpin = .microseconds(100)
                $0.yieldAfterSend = false
            })
            #expect(try await chosen.withConnection { $0.configuration.readSpin } == .microseconds(100))
            #expect(try await chosen.withConnection { !$0.configuration.yieldAfterSend })
            await chosen.close()
        }

        /// With a spinning read and no yield, a task that got a connection never suspends (the
        /// answer comes within the spin), so on a machine with fewer cores than tasks the first
        /// tasks ran all their queries before the others started (this test failed so: the last
        /// task began at 0.19 s, the first had ended at 0.008 s). With the pool's defaults every
        /// task starts before any has finished its 50 queries, and so it does with a 500 µs spin
        /// too: the yield after each send is what lets the others start.
        @Test(.timeLimit(.minutes(1)), arguments: [nil, 500])
        func sixtyFourTasksOverEightConnectionsAllStartBeforeTheFirstFinishes(spinMicroseconds: Int?) async throws {
            let pool = PGPool(configuration: try Integration.poolConfiguration("pool-turns", maximum: 8) {
                if let spinMicroseconds { $0.readSpin = .microseconds(spinMicroseconds) }
            })
            // Open the connections first, so that no task waits for a connect.
            try await withThrowingTaskGroup(of: Void.self) { group in
                let latch = Latch()
                for _ in 0..<8 { group.addTask { try await pool.withConnection { _ in await latch.wait() } } }
                #expect(try await Integration.eventually { pool.statistics.inUse == 8 })
                latch.open()
                try await group.waitForAll()
            }
            let clock = ContinuousClock()
            let origin = clock.now
            let spans = try await withThrowingTaskGroup(of: (began: Duration, ended: Duration).self) { group in
                for task in 0..<64 {
                    group.addTask {
                        let began = clock.now - origin
                        for round in 0..<50 {
                            let value = task * 1000 + round
                            let rows = try await pool.query("SELECT $1::int", [value]).rows
                            #expect(try rows[0].decode(Int32.self, at: 0) == Int32(value))
                        }
                        return (began, clock.now - origin)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let lastBegan = spans.map(\.began).max()!
            let firstEnded = spans.map(\.ended).min()!
            #expect(spans.count == 64)
            #expect(lastBegan < firstEnded, "the last task began at \(lastBegan), the first ended at \(firstEnded)")
            await pool.close()
        }
    }
}
