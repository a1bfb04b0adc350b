import Foundation
import Synchronization

extension TestServer {
    /// A TLS endpoint in front of a ``TestServer`` for clients using PostgreSQL 17's direct
    /// TLS (libpq's `sslnegotiation=direct`), which the PostgreSQL of the tests does not have.
    ///
    /// ```swift
    /// let server = try TestServer.start(.init(tls: .init()))
    /// let endpoint = try TestServer.DirectTLSEndpoint.start(for: server)
    /// defer { endpoint.stop() }
    /// // connect to endpoint.host:endpoint.port with sslnegotiation=direct,
    /// // sslmode=verify-full, sslrootcert=server.tls!.certificateAuthority ...
    /// let connection = await endpoint.waitForConnections(1)[0]
    /// #expect(connection.isDirect && connection.selectedALPN == "postgresql")
    /// ```
    ///
    /// It listens on 127.0.0.1 at a port of its own. Each accepted connection must begin with
    /// a TLS ClientHello: the endpoint completes the handshake with the server's certificate
    /// and key (``TLSSetup/presentedServerCertificate``, ``TLSSetup/serverKey``), answers the
    /// client's ALPN offer as ``ALPNBehaviour`` says, and then relays the decrypted bytes to
    /// the real server and back, over ``Upstream``, so the client gets an ordinary session.
    /// The server sees a connection without TLS; ``Upstream`` says which roles may log in.
    ///
    /// A client that starts the traditional way, with an SSLRequest, is recorded
    /// (``AcceptedConnection/Opening/sslRequest``) and its connection closed without an
    /// answer: it was not meant to come here, and a test should see it fail rather than
    /// be served. Every connection is recorded in ``acceptedConnections``.
    ///
    /// The endpoint runs on threads of its own (one accepting, one per connection) with
    /// non-blocking sockets and poll(), so it never holds up Swift's cooperative pool. A
    /// client has 10 seconds for its first byte and 10 more for the handshake. ``stop()``
    /// (or dropping the endpoint) ends every connection and waits for the threads. Stopping
    /// the server ends the relayed connections, but leaves the endpoint listening: stop both.
    public final class DirectTLSEndpoint: Sendable {
        /// The address the endpoint listens on: `127.0.0.1`.
        public let host: String
        /// The TCP port the endpoint listens on.
        public let port: Int
        /// What the endpoint does with the client's ALPN offer.
        public let alpn: ALPNBehaviour
        /// How the endpoint reaches the server.
        public let upstream: Upstream

        private let core: DirectTLSCore

        private init(core: DirectTLSCore, alpn: ALPNBehaviour, upstream: Upstream) {
            self.core = core
            self.host = "127.0.0.1"
            self.port = core.port
            self.alpn = alpn
            self.upstream = upstream
        }

        /// Starts an endpoint for `server`, which must have been started with
        /// ``Options/tls``; returns once it listens.
        ///
        /// - Parameters:
        ///   - server: The running server to relay to.
        ///   - alpn: The answer to the client's ALPN offer; ``ALPNBehaviour/postgresql``, as
        ///     PostgreSQL 17 does, unless a test wants a server without ALPN.
        ///   - upstream: How to reach the server: TCP by default, or its Unix socket.
        /// - Throws: ``TestServerError`` if the server has no TLS, OpenSSL refuses the
        ///   certificate or key, or no socket can be opened.
        public static func start(
            for server: TestServer,
            alpn: ALPNBehaviour = .postgresql,
            upstream: Upstream = .tcp
        ) throws -> DirectTLSEndpoint {
            guard let tls = server.tls else {
                throw TestServerError("a direct TLS endpoint needs a server started with Options.tls")
            }
            let context = try DirectTLSContext(certificate: tls.presentedServerCertificate, key: tls.serverKey)
            let address: DirectTLSCore.ServerAddress =
                upstream == .tcp ? .tcp(port: server.port) : .unixSocket(path: server.socketPath)
            let core = try DirectTLSCore(context: context, alpn: alpn, server: address)
            core.startAccepting()
            return DirectTLSEndpoint(core: core, alpn: alpn, upstream: upstream)
        }

        deinit { core.stop() }

        /// Every connection accepted so far, oldest first, each as far as it has got.
        public var acceptedConnections: [AcceptedConnection] {
            core.records.withLock { $0 }
        }

        /// The ALPN protocols offered by the latest client whose ClientHello the endpoint
        /// read; `nil` when that client offered none, or no client sent a ClientHello yet.
        public var lastALPNOffered: [String]? {
            acceptedConnections.last { $0.isDirect && $0.isSettled }?.offeredALPN
        }

        /// Waits until at least `count` connections are settled (past their handshake, one
        /// way or another: ``AcceptedConnection/isSettled``), at most `timeout`, and returns
        /// all connections then: a test reads the outcome only once the endpoint has
        /// finished its side of the handshake, which may be after the client's.
        public func waitForConnections(_ count: Int, timeout: Duration = .seconds(10)) async -> [AcceptedConnection] {
            let deadline = ContinuousClock.now + timeout
            while true {
                let connections = acceptedConnections
                if connections.count(where: \.isSettled) >= count || ContinuousClock.now >= deadline {
                    return connections
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }

        /// Stops listening, ends every connection and waits (at most five seconds) for the
        /// endpoint's threads. Calling it again does nothing. It blocks briefly: from async
        /// code, a test may run it ``onOwnThread(_:)``.
        public func stop() {
            core.stop()
        }
    }

    /// Starts a ``DirectTLSEndpoint`` for this server (started with ``Options/tls``), runs
    /// `body` with it, and stops it whether `body` returns or throws.
    public func withDirectTLSEndpoint<T: Sendable>(
        alpn: DirectTLSEndpoint.ALPNBehaviour = .postgresql,
        upstream: DirectTLSEndpoint.Upstream = .tcp,
        _ body: (DirectTLSEndpoint) async throws -> T
    ) async throws -> T {
        let endpoint = try DirectTLSEndpoint.start(for: self, alpn: alpn, upstream: upstream)
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(endpoint))
        } catch {
            outcome = .failure(error)
        }
        _ = try? await onOwnThread { endpoint.stop() }
        return try outcome.get()
    }
}
