extension PGConnection.Configuration {
    /// TCP keepalive settings, with libpq's meaning: probes on by default, each timing left to
    /// the system unless set.
    public struct Keepalives: Sendable, Equatable {
        /// libpq's `keepalives` (SO_KEEPALIVE).
        public var enabled: Bool
        /// `keepalives_idle`: idle time before the first probe (TCP_KEEPIDLE), 1 to 32,767 s.
        public var idle: Duration?
        /// `keepalives_interval`: time between probes (TCP_KEEPINTVL), 1 to 32,767 s.
        public var interval: Duration?
        /// `keepalives_count`: probes lost before the connection is dropped (TCP_KEEPCNT), 1 to 127.
        public var count: Int?

        /// Keepalive settings; nil leaves that timing to the system. The ranges are checked when
        /// connecting (``PGConnection/Configuration/validate()``), not here.
        public init(enabled: Bool = true, idle: Duration? = nil, interval: Duration? = nil, count: Int? = nil) {
            self.enabled = enabled
            self.idle = idle
            self.interval = interval
            self.count = count
        }
    }

    /// libpq's `channel_binding`.
    @nonexhaustive
    public enum ChannelBinding: String, Sendable, CaseIterable {
        /// Never use channel binding.
        case disable
        /// Use it when the server and the connection offer it (they cannot without TLS).
        case prefer
        /// Fail unless the server authenticates with SCRAM-SHA-256-PLUS over TLS.
        case require
    }

    /// Bounds on what a server may make a connection hold or compute. A server past one fails
    /// the connection with a typed error instead of growing memory or burning CPU.
    public struct Limits: Sendable, Equatable {
        /// The most distinct run-time parameters (ParameterStatus names) kept. Default 256; a
        /// PostgreSQL 15 server reports 14.
        public var maxServerParameters: Int
        /// The highest SCRAM iteration count computed (PBKDF2 rounds). Default 1,000,000, about
        /// half a second of one core; PostgreSQL's default is 4,096.
        public var maxSCRAMIterations: Int

        /// The most bytes (channel names and payloads) one listener may hold unread; past it,
        /// the listener ends with ``PGError/Code/notificationBufferFull`` (see
        /// ``PGNotificationSequence``). Default 8 MiB: a thousand payloads of the server's
        /// largest size, 8,000 bytes.
        public var maxNotificationBufferBytes: Int

        /// Limits with the given bounds (each property says its default). Values below what
        /// PostgreSQL's own defaults need (16 parameters, 4,096 SCRAM iterations, 8,192
        /// notification bytes) are refused when connecting.
        public init(
            maxServerParameters: Int = 256, maxSCRAMIterations: Int = 1_000_000, maxNotificationBufferBytes: Int = 8 << 20
        ) {
            self.maxServerParameters = maxServerParameters
            self.maxSCRAMIterations = maxSCRAMIterations
            self.maxNotificationBufferBytes = maxNotificationBufferBytes
        }
    }

    /// The socket settings these options make.
    var socketOptions: Socket.Options {
        Socket.Options(
            keepalives: keepalives.enabled,
            keepaliveIdleSeconds: keepalives.idle.map { Int32(clamping: $0.components.seconds) },
            keepaliveIntervalSeconds: keepalives.interval.map { Int32(clamping: $0.components.seconds) },
            keepaliveCount: keepalives.count.map { Int32(clamping: $0) },
            userTimeoutMilliseconds: tcpUserTimeout.map { UInt32(clamping: $0.wholeMilliseconds) },
            shuffleAddresses: loadBalanceHosts == .random)
    }

    /// Checks every setting a connection uses, so that none can overflow a clock or a socket
    /// option later. Called by ``PGConnection/connect(_:logger:noticeHandler:)``.
    ///
    /// - Throws: ``PGError/Code/invalidConfiguration`` naming the setting.
    public func validate() throws(PGError) {
        guard !servers.isEmpty else { throw PGError(.invalidConfiguration, "no server to connect to") }
        for server in servers where !(1...65535).contains(server.port) {
            throw PGError(.invalidConfiguration, "port \(server.port) of \(server.host) is out of range 1...65535")
        }
        let longest = Duration.seconds(Int64(Int32.max))
        try Self.check("connectTimeout", connectTimeout, within: .milliseconds(1)...longest)
        try Self.check("queryTimeout", queryTimeout, within: .milliseconds(1)...longest)
        try Self.check("cancelGrace", cancelGrace, within: .milliseconds(1)...longest)
        try Self.check("keepalives.idle", keepalives.idle, within: .seconds(1)...(.seconds(32_767)))
        try Self.check("keepalives.interval", keepalives.interval, within: .seconds(1)...(.seconds(32_767)))
        if let count = keepalives.count, !(1...127).contains(count) {
            throw PGError(.invalidConfiguration, "keepalives.count \(count) is out of range 1...127")
        }
        try Self.check("tcpUserTimeout", tcpUserTimeout, within: .zero...(.milliseconds(Int64(Int32.max))))
        try Self.check("readSpin", readSpin, within: .zero...(.seconds(1)))
        if statementCacheCapacity < 0 {
            throw PGError(.invalidConfiguration, "statementCacheCapacity \(statementCacheCapacity) is negative")
        }
        guard (64...Int(Int32.max)).contains(messageLimits.maxShortMessageLength),
            (messageLimits.maxShortMessageLength...Int(Int32.max)).contains(messageLimits.maxLongMessageLength)
        else {
            throw PGError(
                .invalidConfiguration,
                "messageLimits must satisfy 64 <= maxShortMessageLength <= maxLongMessageLength <= \(Int32.max)")
        }
        guard limits.maxServerParameters >= 16, limits.maxSCRAMIterations >= 4096, limits.maxNotificationBufferBytes >= 8_192
        else {
            throw PGError(
                .invalidConfiguration,
                "limits.maxServerParameters must be at least 16, limits.maxSCRAMIterations at least 4096 and "
                    + "limits.maxNotificationBufferBytes at least 8192 (what PostgreSQL's defaults need)")
        }
        if channelBinding == .require, tls.mode == .disable {
            throw PGError(.invalidConfiguration, "channel_binding=require needs TLS, but sslmode=disable")
        }
        if tls.negotiation == .direct, [.disable, .allow, .prefer].contains(tls.mode) {
            throw PGError(
                .invalidConfiguration,
                "sslnegotiation=direct needs sslmode require, verify-ca or verify-full (nothing falls back to plaintext), not \(tls.mode.rawValue)")
        }
        if let minimum = tls.minimumProtocolVersion, let maximum = tls.maximumProtocolVersion, minimum > maximum {
            throw PGError(
                .invalidConfiguration,
                "invalid SSL protocol version range: ssl_min_protocol_version \(minimum.rawValue) is above ssl_max_protocol_version \(maximum.rawValue)")
        }
    }

    private static func check(_ name: String, _ value: Duration?, within range: ClosedRange<Duration>) throws(PGError) {
        guard let value, !range.contains(value) else { return }
        throw PGError(.invalidConfiguration, "\(name) \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down (clamped to Int64).
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        return product.addingReportingOverflow(attoseconds / 1_000_000_000_000_000).partialValue
    }
}
