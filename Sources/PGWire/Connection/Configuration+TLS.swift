extension PGConnection.Configuration {
    /// libpq's `sslmode`: `disable` never asks for TLS; `allow` connects in plaintext and, when
    /// the server refuses that login, tries again over TLS; `prefer` (the default) asks and falls
    /// back to plaintext when the server has no TLS; `require` insists on TLS (checking the
    /// server's certificate only when a root certificate is given); `verify-ca` checks the
    /// certificate's chain; `verify-full` also checks the host name against the certificate's
    /// names.
    @nonexhaustive
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Never use TLS.
        case disable
        /// Connect in plaintext; only when the server refuses that login, try once more over TLS.
        /// The server's certificate is not checked (unless a root certificate is given).
        case allow
        /// Ask for TLS and use it when the server has it, else go on in plaintext (the default).
        /// The server's certificate is not checked (unless a root certificate is given).
        case prefer
        /// Use TLS or fail. The server's certificate is not checked unless a root certificate is
        /// given, which makes this ``verifyCA``.
        case require
        /// Use TLS and check that the server's certificate chains to a trusted root certificate
        /// (``TLS/rootCertificatePath``), without checking its host name.
        case verifyCA = "verify-ca"
        /// As ``verifyCA``, and also check that the certificate names the host connected to.
        case verifyFull = "verify-full"
    }

    /// libpq's `sslnegotiation`: how a TLS connection begins.
    @nonexhaustive
    public enum TLSNegotiation: String, Sendable, CaseIterable {
        /// Ask with an SSLRequest first, and start TLS when the server answers 'S' (every
        /// PostgreSQL version).
        case postgres
        /// Start the TLS handshake at once, with ALPN `postgresql` (PostgreSQL 17 and later):
        /// one round trip less. Needs `sslmode` `require` or stronger, since nothing falls back.
        case direct
    }

    /// A TLS protocol version, as libpq's `ssl_min_protocol_version` and
    /// `ssl_max_protocol_version` name them.
    @nonexhaustive
    public enum TLSProtocolVersion: String, Sendable, CaseIterable, Comparable {
        /// TLS 1.0 (obsolete; OpenSSL may refuse it at its default security level).
        case tls1 = "TLSv1"
        /// TLS 1.1 (obsolete; OpenSSL may refuse it at its default security level).
        case tls1_1 = "TLSv1.1"
        /// TLS 1.2, the default minimum.
        case tls1_2 = "TLSv1.2"
        /// TLS 1.3.
        case tls1_3 = "TLSv1.3"

        /// The version for a libpq spelling, ignoring case (`tlsv1.3` is `TLSv1.3`).
        public init?(libpq text: String) {
            guard let version = Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
                return nil
            }
            self = version
        }

        public static func < (lhs: Self, rhs: Self) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// TLS settings (libpq's `ssl*` keys).
    ///
    /// Paths are used as given. A configuration parsed from a connection string or the
    /// environment also gets libpq's defaults from `~/.postgresql/` (`root.crt`, `root.crl`,
    /// `postgresql.crt`, `postgresql.key`) when those files exist; one built in code does not.
    public struct TLS: Sendable, Equatable, CustomStringConvertible {
        /// `sslmode`: whether TLS is used and how much of the server's certificate is checked
        /// (default ``TLSMode/prefer``). Unix-socket connections never use TLS, whatever the mode.
        public var mode: TLSMode
        /// `sslrootcert`: trusted CA certificates (PEM file path), or `system` for the
        /// system's store. When one is given, the server's chain is checked in every mode that
        /// uses TLS (libpq's rule), so `require` then behaves as `verify-ca`.
        public var rootCertificatePath: String?
        /// `sslcert`: client certificate (PEM file path; a chain may follow it).
        public var certificatePath: String?
        /// `sslkey`: client private key (PEM file path). Refused, as libpq does, when a file the
        /// current user owns is readable by others than its owner (or, owned by root, writable
        /// or readable by others than its group).
        public var keyPath: String?
        /// `sslpassword`: the passphrase of an encrypted ``keyPath``. Never shown.
        public var keyPassword: String?
        /// `sslcrl`: certificate revocation list (PEM file path).
        public var revocationListPath: String?
        /// `sslcrldir`: a folder of revocation lists named by hash (`openssl rehash`).
        public var revocationListDirectory: String?
        /// `sslsni`: send the host name in the TLS handshake (default on).
        public var serverNameIndication: Bool
        /// `ssl_min_protocol_version`: the oldest TLS version accepted (default TLS 1.2, as
        /// libpq's).
        public var minimumProtocolVersion: TLSProtocolVersion?
        /// `ssl_max_protocol_version`: the newest TLS version offered (`nil`: the newest
        /// OpenSSL knows).
        public var maximumProtocolVersion: TLSProtocolVersion?
        /// `sslnegotiation`: SSLRequest first (the default), or TLS at once.
        public var negotiation: TLSNegotiation

        /// TLS settings with libpq's defaults for everything not given: `sslmode=prefer`, no
        /// certificate files, SNI on, TLS 1.2 at least, SSLRequest negotiation.
        public init(
            mode: TLSMode = .prefer, rootCertificatePath: String? = nil, certificatePath: String? = nil,
            keyPath: String? = nil, keyPassword: String? = nil, revocationListPath: String? = nil,
            revocationListDirectory: String? = nil, serverNameIndication: Bool = true,
            minimumProtocolVersion: TLSProtocolVersion? = .tls1_2, maximumProtocolVersion: TLSProtocolVersion? = nil,
            negotiation: TLSNegotiation = .postgres
        ) {
            self.mode = mode
            self.rootCertificatePath = rootCertificatePath
            self.certificatePath = certificatePath
            self.keyPath = keyPath
            self.keyPassword = keyPassword
            self.revocationListPath = revocationListPath
            self.revocationListDirectory = revocationListDirectory
            self.serverNameIndication = serverNameIndication
            self.minimumProtocolVersion = minimumProtocolVersion
            self.maximumProtocolVersion = maximumProtocolVersion
            self.negotiation = negotiation
        }

        /// The settings, with the key's passphrase hidden.
        public var description: String {
            var parts = ["sslmode=\(mode.rawValue)"]
            if let rootCertificatePath { parts.append("sslrootcert=\(rootCertificatePath)") }
            if let certificatePath { parts.append("sslcert=\(certificatePath)") }
            if let keyPath { parts.append("sslkey=\(keyPath)") }
            if keyPassword != nil { parts.append("sslpassword=********") }
            if let revocationListPath { parts.append("sslcrl=\(revocationListPath)") }
            if let revocationListDirectory { parts.append("sslcrldir=\(revocationListDirectory)") }
            if !serverNameIndication { parts.append("sslsni=0") }
            if let minimumProtocolVersion { parts.append("ssl_min_protocol_version=\(minimumProtocolVersion.rawValue)") }
            if let maximumProtocolVersion { parts.append("ssl_max_protocol_version=\(maximumProtocolVersion.rawValue)") }
            if negotiation == .direct { parts.append("sslnegotiation=direct") }
            return parts.joined(separator: " ")
        }

        /// Whether the server's certificate chain is checked: verify-ca and verify-full, and
        /// (libpq's rule) any TLS connection given a root certificate.
        var verifiesChain: Bool { mode == .verifyCA || mode == .verifyFull || rootCertificatePath != nil }
    }
}
