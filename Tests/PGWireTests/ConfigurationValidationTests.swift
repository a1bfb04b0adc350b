@_spi(Benchmarks) @testable import PGWire
import Testing

/// Settings that would overflow a clock, a socket option or a buffer are configuration errors
/// before anything connects, never traps.
@Suite struct ConfigurationValidationTests {
    static func failure(_ change: (inout PGConnection.Configuration) -> Void) -> PGError? {
        var configuration = PGConnection.Configuration(user: "u")
        change(&configuration)
        return pgError { try configuration.validate() }
    }

    @Test func theDefaultsAreValid() throws {
        try PGConnection.Configuration(user: "u").validate()
    }

    @Test func hugeAndNegativeDurationsAreNamed() {
        let cases: [(String, (inout PGConnection.Configuration) -> Void)] = [
            ("connectTimeout", { $0.connectTimeout = .seconds(Int64.max) }),
            ("connectTimeout", { $0.connectTimeout = .seconds(-1) }),
            ("queryTimeout", { $0.queryTimeout = .seconds(Int64(Int32.max) + 1) }),
            ("queryTimeout", { $0.queryTimeout = .zero }),
            ("cancelGrace", { $0.cancelGrace = .seconds(Int64.max) }),
            ("keepalives.idle", { $0.keepalives.idle = .seconds(40_000) }),
            ("keepalives.interval", { $0.keepalives.interval = .zero }),
            ("keepalives.count", { $0.keepalives.count = 1_000 }),
            ("tcpUserTimeout", { $0.tcpUserTimeout = .seconds(-5) }),
            ("readSpin", { $0.readSpin = .seconds(10) }),
            ("statementCacheCapacity", { $0.statementCacheCapacity = -1 }),
            ("messageLimits", { $0.messageLimits.maxShortMessageLength = 3 }),
            ("messageLimits", { $0.messageLimits.maxLongMessageLength = Int.max }),
            ("limits", { $0.limits.maxSCRAMIterations = 10 }),
            ("port", { $0.port = 70_000 }),
            ("channel_binding=require", {
                $0.channelBinding = .require
                $0.tls.mode = .disable
            }),
            ("no server", { $0.servers = [] }),
        ]
        for (name, change) in cases {
            let error = Self.failure(change)
            #expect(error?.code == .invalidConfiguration, "\(name)")
            #expect(error?.message.contains(name) == true, "\(String(describing: error?.message)) should name \(name)")
        }
    }

    @Test func connectRefusesAnInvalidConfigurationBeforeConnecting() async {
        var configuration = PGConnection.Configuration(host: "127.0.0.1", port: 1, user: "u")
        configuration.connectTimeout = .seconds(Int64.max)
        do {
            _ = try await PGConnection.connect(configuration)
            Issue.record("connect accepted an out-of-range connect timeout")
        } catch let error as PGError {
            #expect(error.code == .invalidConfiguration)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func socketOptionsCarryTheKeepaliveSettings() {
        var configuration = PGConnection.Configuration(user: "u")
        configuration.keepalives = .init(enabled: true, idle: .seconds(30), interval: .seconds(4), count: 5)
        configuration.tcpUserTimeout = .milliseconds(2500)
        #expect(configuration.socketOptions == Socket.Options(
            keepalives: true, keepaliveIdleSeconds: 30, keepaliveIntervalSeconds: 4, keepaliveCount: 5,
            userTimeoutMilliseconds: 2500))
    }
}

@Suite struct NotificationBufferBoundTests {
    static func notification(_ payload: String) -> PGNotification {
        PGNotification(processID: 1, channel: "c", payload: payload)
    }

    @Test func aListenerPastItsByteLimitEndsAfterWhatItHolds() async throws {
        let buffer = NotificationBuffer(limit: 1_000, byteLimit: 100)
        let payload = String(repeating: "x", count: 39)  // 40 bytes with the channel
        #expect(buffer.push(Self.notification(payload)))
        #expect(buffer.push(Self.notification(payload)))
        #expect(!buffer.push(Self.notification(payload)))  // 120 bytes would pass 100
        #expect(try await buffer.next()?.payload == payload)
        #expect(try await buffer.next()?.payload == payload)
        do {
            _ = try await buffer.next()
            Issue.record("the buffer did not end")
        } catch let error as PGError {
            #expect(error.code == .notificationBufferFull)
            #expect(error.message.contains("bytes"))
        }
    }

    @Test func consumingFreesBytes() async throws {
        let buffer = NotificationBuffer(limit: 1_000, byteLimit: 100)
        let payload = String(repeating: "y", count: 59)  // 60 bytes
        for _ in 0..<20 {
            #expect(buffer.push(Self.notification(payload)))
            #expect(try await buffer.next()?.payload == payload)
        }
    }
}
