extension TestServer {
    /// How a ``TestServer`` offers TLS, given as ``Options/tls``.
    ///
    /// ```swift
    /// let server = try TestServer.start(.init(tls: .init()))
    /// let tls = server.tls!
    /// // connect to localhost:server.port with sslmode=verify-full sslrootcert=tls.certificateAuthority
    /// ```
    ///
    /// At start the server gets a fresh test CA, certificates signed by it (made with the
    /// `openssl` command-line tool, EC P-256 keys, which take milliseconds), `ssl = on`, and
    /// `pg_hba.conf` rules for roles that only TLS, or only plain TCP, lets in; see
    /// ``TLSSetup``. The test users of ``TestServer/users`` keep logging in both ways.
    public struct TLSOptions: Sendable, Hashable {
        /// Whether the server presents ``TLSSetup/expiredServerCertificate`` (signed by the
        /// test CA, but past its end date) instead of ``TLSSetup/serverCertificate``, for
        /// testing that clients refuse it.
        public var expiredServerCertificate: Bool

        /// Creates options; the defaults give a server with a valid certificate.
        public init(expiredServerCertificate: Bool = false) {
            self.expiredServerCertificate = expiredServerCertificate
        }
    }

    /// The certificates, keys and roles of a server started with ``Options/tls``, for
    /// pointing a client's `sslrootcert`, `sslcert` and `sslkey` at.
    ///
    /// The files live in `<dataDirectory>/tls` and are made anew at every start. Keys are
    /// PEM, unencrypted, mode 0600; certificates are PEM. As root, all belong to the OS user
    /// `postgres` (the server refuses a key it does not own); root can still read them, and
    /// libpq accepts a client key of mode 0600 whoever owns it.
    ///
    /// `pg_hba.conf` then also holds, before its final `reject` rules:
    ///
    /// | role | where | method |
    /// | --- | --- | --- |
    /// | ``tlsOnlyUser`` `pgw_tls` | `hostssl` only | scram-sha-256 |
    /// | ``plainOnlyUser`` `pgw_notls` | Unix socket and `hostnossl` only | scram-sha-256 |
    /// | ``certificateUser`` `pgw_cert` | `hostssl` only | cert |
    ///
    /// each on 127.0.0.1 and ::1. Like the test users, these may create tables in `postgres`.
    public struct TLSSetup: Sendable, Hashable {
        /// The folder holding the files, `<dataDirectory>/tls`.
        public let directory: String
        /// The test CA's certificate (`ca.crt`): give it as `sslrootcert`. It signed every
        /// certificate here except the `other…` ones, and the server trusts client
        /// certificates it signed (`ssl_ca_file`).
        public let certificateAuthority: String
        /// The certificate of a second, unrelated CA (`other-ca.crt`), for testing that a
        /// client verifying against it refuses the server.
        public let otherCertificateAuthority: String
        /// The server's certificate (`server.crt`): subject `CN=localhost`, alternative names
        /// `DNS:localhost`, `IP:127.0.0.1` and `IP:::1`, valid for ten years.
        public let serverCertificate: String
        /// The server's private key (`server.key`), for both server certificates.
        public let serverKey: String
        /// A copy of the server's certificate whose validity ended a day before it was made
        /// (`server-expired.crt`); the server presents it with
        /// ``TLSOptions/expiredServerCertificate``.
        public let expiredServerCertificate: String
        /// The certificate the server presents: ``serverCertificate`` or
        /// ``expiredServerCertificate``.
        public let presentedServerCertificate: String
        /// A client certificate for ``certificateUser`` (`client.crt`, `CN=pgw_cert`), signed
        /// by the test CA: give it as `sslcert`, with ``clientKey`` as `sslkey`.
        public let clientCertificate: String
        /// The private key of every client certificate here (`client.key`).
        public let clientKey: String
        /// ``clientCertificate`` past its end date (`client-expired.crt`), which the server
        /// refuses.
        public let expiredClientCertificate: String
        /// A client certificate for ``certificateUser`` signed by the other CA
        /// (`client-other-ca.crt`), which the server refuses.
        public let otherCAClientCertificate: String

        /// `pgw_tls`, password `tls-s3cret`: SCRAM-SHA-256, over TLS only, so a client with
        /// `sslmode=disable` is refused and one with `allow` must retry with TLS.
        public let tlsOnlyUser: User
        /// `pgw_notls`, password `notls-s3cret`: SCRAM-SHA-256, without TLS only, so a client
        /// with `sslmode=require` is refused and one with `prefer` must retry without TLS.
        public let plainOnlyUser: User
        /// `pgw_cert`: no password; logs in with ``clientCertificate`` (`cert`
        /// authentication, whose common name must be the role's name), over TLS only.
        public let certificateUser: String

        /// The paths of the files in `directory`, which ``TLSFiles`` makes.
        init(directory: String, expiredServerCertificate: Bool) {
            self.directory = directory
            certificateAuthority = directory + "/ca.crt"
            otherCertificateAuthority = directory + "/other-ca.crt"
            serverCertificate = directory + "/server.crt"
            serverKey = directory + "/server.key"
            self.expiredServerCertificate = directory + "/server-expired.crt"
            presentedServerCertificate = expiredServerCertificate ? self.expiredServerCertificate : serverCertificate
            clientCertificate = directory + "/client.crt"
            clientKey = directory + "/client.key"
            expiredClientCertificate = directory + "/client-expired.crt"
            otherCAClientCertificate = directory + "/client-other-ca.crt"
            tlsOnlyUser = Self.tlsOnlyUser
            plainOnlyUser = Self.plainOnlyUser
            certificateUser = Self.certificateUser
        }

        static let tlsOnlyUser = User(name: "pgw_tls", password: "tls-s3cret", method: .scramSHA256)
        static let plainOnlyUser = User(name: "pgw_notls", password: "notls-s3cret", method: .scramSHA256)
        static let certificateUser = "pgw_cert"

        /// The server's settings for TLS, written after its own and before
        /// ``Options/settings``, which may therefore override them.
        var serverSettings: [(name: String, value: String)] {
            [
                ("ssl", "on"),
                ("ssl_cert_file", presentedServerCertificate),
                ("ssl_key_file", serverKey),
                ("ssl_ca_file", certificateAuthority),
            ]
        }
    }
}
