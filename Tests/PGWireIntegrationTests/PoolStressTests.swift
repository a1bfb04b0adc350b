import PGWire
import Testing

extension Integration {
    @Suite struct PoolStressTests {
        /// What one hammering task did.
        struct Tally: Sendable {
            var selects = 0
            var wrongResults = 0
            var inserts = 0
            var increments = 0
            var errors: [String] = []
        }

        @Test(.timeLimit(.minutes(2)))
        func sixtyFourTasksHammeringEightConnectionsForTenSecondsLoseNothing() async throws {
            let name = "pool-hammer"
            let observer = try await Integration.connect()
            let pool = PGPool(configuration: try Integration.poolConfiguration(name, maximum: 8, acquireTimeout: .seconds(30)))
            _ = try await pool.simpleQuery("""
                DROP TABLE IF EXISTS pool_hammer; CREATE TABLE pool_hammer (task int, n int);
                DROP TABLE IF EXISTS pool_hammer_counter; CREATE TABLE pool_hammer_counter (n bigint);
                INSERT INTO pool_hammer_counter VALUES (0)
                """)
            let stop = ContinuousClock.now + .seconds(10)
            // Watches the server's side: the pool's sessions, as often as it can.
            let monitor = Task {
                var most = 0
                while ContinuousClock.now < stop {
                    most = max(most, try await Integration.sessionCount(name, observer: observer))
                    try await Task.sleep(for: .milliseconds(20))
                }
                return most
            }
            let tally = await withTaskGroup(of: Tally.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        var tally = Tally()
                        var round = 0
                        while ContinuousClock.now < stop {
                            round += 1
                            do {
                                switch round % 10 {
                                case 0:
                                    try await pool.execute("INSERT INTO pool_hammer VALUES ($1, $2)", [task, round])
                                    tally.inserts += 1
                                case 5:
                                    try await pool.withTransaction { connection in
                                        try await connection.execute("UPDATE pool_hammer_counter SET n = n + 1")
                                    }
                                    tally.increments += 1
                                default:
                                    let value = task * 1_000_000 + round
                                    let result = try await pool.query("SELECT $1::int", [value])
                                    tally.selects += 1
                                    if try result.rows[0].decode(Int32.self, at: 0) != Int32(value) { tally.wrongResults += 1 }
                                }
                            } catch {
                                tally.errors.append("\(error)")
                            }
                        }
                        return tally
                    }
                }
                return await group.reduce(into: Tally()) { total, one in
                    total.selects += one.selects
                    total.wrongResults += one.wrongResults
                    total.inserts += one.inserts
                    total.increments += one.increments
                    total.errors += one.errors
                }
            }
            let mostSessions = try await monitor.value
            #expect(tally.errors.isEmpty, "\(tally.errors.count) errors, first: \(tally.errors.first ?? "")")
            #expect(tally.wrongResults == 0)
            #expect(tally.selects > 1000, "only \(tally.selects) selects in 10 s")
            let rows = try await pool.query("SELECT count(*) FROM pool_hammer").rows[0].decode(Int.self, at: 0)
            #expect(rows == tally.inserts)
            let counter = try await pool.query("SELECT n FROM pool_hammer_counter").rows[0].decode(Int.self, at: 0)
            #expect(counter == tally.increments)
            #expect(mostSessions >= 1 && mostSessions <= 8, "\(mostSessions) sessions")
            #expect(pool.statistics.total <= 8)
            #expect(pool.statistics.waiting == 0 && pool.statistics.inUse == 0)
            await pool.close()
            #expect(try await Integration.eventually { try await Integration.sessionCount(name, observer: observer) == 0 })
            await observer.close()
        }
    }
}
