import PGTestServer
import PGWire
import Testing

extension Replicas {
    /// `target_session_attrs` and `load_balance_hosts` against a real primary and a real
    /// streaming standby, listed in both orders.
    @Suite("Replicas: choosing a server", SharedPairTrait())
    struct TargetSessionStandbyTests {
        typealias Attributes = PGConnection.Configuration.TargetSessionAttributes

        @Test("each target_session_attrs value picks the primary or the standby, whatever the order")
        func targetSessionAttributes() async throws {
            let pair = try Replicas.requirePair()
            let primary = pair.primary.port
            let standby = pair.standby.port
            // For [primary, standby] and [standby, primary]: the port each value must land on.
            let expected: [(Attributes, (Int, Int))] = [
                (.any, (primary, standby)),  // the first listed
                (.readWrite, (primary, primary)),
                (.primary, (primary, primary)),
                (.readOnly, (standby, standby)),
                (.standby, (standby, standby)),
                (.preferStandby, (standby, standby)),
            ]
            for (attributes, ports) in expected {
                for (servers, port) in [([pair.primary, pair.standby], ports.0), ([pair.standby, pair.primary], ports.1)] {
                    let connection = try await PGConnection.connect(ReplicaPair.configuration(servers, attributes))
                    let reported = try await connection.simpleQuery("SELECT inet_server_port(), pg_is_in_recovery()")[0].rows[0]
                    await connection.close()
                    #expect(connection.server.port == port, "\(attributes) over \(servers.map(\.port))")
                    #expect(reported.text(at: 0) == "\(port)")
                    #expect(reported.text(at: 1) == (port == standby ? "t" : "f"))
                }
            }
            // Alone, each kind of server refuses the other kind's attributes, naming them; and
            // prefer-standby falls back to the primary.
            for (server, refused) in [(pair.primary, [Attributes.standby, .readOnly]), (pair.standby, [.primary, .readWrite])] {
                for attributes in refused {
                    let error = await #expect(throws: PGError.self) {
                        try await PGConnection.connect(ReplicaPair.configuration([server], attributes))
                    }
                    #expect(error?.code == .connectionFailed)
                    #expect(error?.message.contains("is not \(attributes.rawValue)") == true, "\(error?.message ?? "")")
                }
            }
            let fallback = try await PGConnection.connect(ReplicaPair.configuration([pair.primary], .preferStandby))
            #expect(fallback.server.port == primary)
            await fallback.close()
        }

        @Test("load_balance_hosts=random spreads connects over the servers; disable keeps the list's order")
        func loadBalanceHosts() async throws {
            let pair = try Replicas.requirePair()
            var configuration = try PGConnection.Configuration(
                connectionString: "postgresql://\(pair.primary.superuser)@127.0.0.1:\(pair.primary.port),127.0.0.1:\(pair.standby.port)/postgres?load_balance_hosts=random&connect_timeout=5",
                environment: [:])
            #expect(configuration.loadBalanceHosts == .random)
            // 2 × 0.5^30 that a working shuffle picks one server every time.
            var seen: [Int: Int] = [:]
            for _ in 0..<30 {
                let connection = try await PGConnection.connect(configuration)
                seen[connection.server.port, default: 0] += 1
                await connection.close()
            }
            #expect(Set(seen.keys) == [pair.primary.port, pair.standby.port], "\(seen)")
            // Random order, but target_session_attrs still decides.
            configuration.targetSessionAttributes = .readWrite
            for _ in 0..<10 {
                let connection = try await PGConnection.connect(configuration)
                #expect(connection.server.port == pair.primary.port)
                await connection.close()
            }
            configuration.targetSessionAttributes = .any
            configuration.loadBalanceHosts = .disable
            for _ in 0..<10 {
                let connection = try await PGConnection.connect(configuration)
                #expect(connection.server.port == pair.primary.port)
                await connection.close()
            }
        }

        @Test("load_balance_hosts takes only disable or random")
        func loadBalanceHostsValues() throws {
            #expect(throws: PGError.self) {
                try PGConnection.Configuration(connectionString: "postgresql://u@h/db?load_balance_hosts=round-robin", environment: [:])
            }
            let fromEnvironment = try PGConnection.Configuration(
                connectionString: "postgresql://u@h/db", environment: ["PGLOADBALANCEHOSTS": "random"])
            #expect(fromEnvironment.loadBalanceHosts == .random)
            #expect(try PGConnection.Configuration(connectionString: "host=h user=u", environment: [:]).loadBalanceHosts == .disable)
        }
    }
}
