import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes the CA, certificates and keys of a ``TestServer/TLSSetup`` with the `openssl`
/// command-line tool.
///
/// Made at every start rather than checked in, so that none expires and no private key
/// sits in the repository. EC P-256 keys keep it to some 100 ms for the nine `openssl`
/// runs. The expired certificates come from `x509 -days -1`, which OpenSSL 3.0 takes:
/// valid from now until a day ago, which every verifier reports as expired.
enum TLSFiles {
    /// The extensions of each kind of certificate, and the empty distinguished-name section
    /// `req` insists on; used instead of the system's `openssl.cnf`, which varies.
    private static let configuration = """
        # Written by PGTestServer for making its test certificates.
        [req]
        distinguished_name = dn
        [dn]
        [ca]
        basicConstraints = critical, CA:true
        keyUsage = critical, keyCertSign, cRLSign
        subjectKeyIdentifier = hash
        [server]
        basicConstraints = critical, CA:false
        keyUsage = critical, digitalSignature, keyEncipherment
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
        authorityKeyIdentifier = keyid
        [client]
        basicConstraints = critical, CA:false
        keyUsage = critical, digitalSignature, keyEncipherment
        extendedKeyUsage = clientAuth
        authorityKeyIdentifier = keyid

        """

    /// How long the valid certificates last, in days.
    private static let validDays = "3650"

    /// Replaces `<dataDirectory>/tls` with fresh files and gives them to the server's user.
    static func make(
        dataDirectory: String,
        options: TestServer.TLSOptions,
        account: ServerAccount
    ) throws -> TestServer.TLSSetup {
        let setup = TestServer.TLSSetup(
            directory: dataDirectory + "/tls",
            expiredServerCertificate: options.expiredServerCertificate
        )
        let folder = setup.directory
        try? FileManager.default.removeItem(atPath: folder)
        guard mkdir(folder, 0o700) == 0 else {
            throw TestServerError("could not create \(folder): \(String(cString: strerror(errno)))")
        }
        let config = folder + "/openssl.cnf"
        do {
            try configuration.write(toFile: config, atomically: false, encoding: .utf8)
        } catch {
            throw TestServerError("could not write \(config): \(error)")
        }
        let openssl = OpenSSLTool(executable: try findOpenSSL(), config: config)

        let caKey = folder + "/ca.key"
        let otherCAKey = folder + "/other-ca.key"
        try openssl.makeAuthority(name: "PGTestServer test CA", key: caKey, certificate: setup.certificateAuthority)
        try openssl.makeAuthority(
            name: "PGTestServer other CA",
            key: otherCAKey,
            certificate: setup.otherCertificateAuthority
        )

        let serverRequest = folder + "/server.csr"
        try openssl.makeRequest(commonName: "localhost", key: setup.serverKey, request: serverRequest)
        try openssl.sign(serverRequest, as: "server", by: setup.certificateAuthority, key: caKey, days: validDays, into: setup.serverCertificate)
        try openssl.sign(serverRequest, as: "server", by: setup.certificateAuthority, key: caKey, days: "-1", into: setup.expiredServerCertificate)

        let clientRequest = folder + "/client.csr"
        try openssl.makeRequest(commonName: setup.certificateUser, key: setup.clientKey, request: clientRequest)
        try openssl.sign(clientRequest, as: "client", by: setup.certificateAuthority, key: caKey, days: validDays, into: setup.clientCertificate)
        try openssl.sign(clientRequest, as: "client", by: setup.certificateAuthority, key: caKey, days: "-1", into: setup.expiredClientCertificate)
        try openssl.sign(clientRequest, as: "client", by: setup.otherCertificateAuthority, key: otherCAKey, days: validDays, into: setup.otherCAClientCertificate)

        try account.hand(folder)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let path = folder + "/" + name
            // The server refuses a key that group or others may read; libpq a client key.
            guard chmod(path, name.hasSuffix(".key") ? 0o600 : 0o644) == 0 else {
                throw TestServerError("could not chmod \(path): \(String(cString: strerror(errno)))")
            }
            try account.hand(path)
        }
        return setup
    }

    /// The `openssl` program: from `PATH`, else from the usual places.
    private static func findOpenSSL() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init)
            + ["/usr/bin", "/usr/local/bin", "/opt/homebrew/bin", "/opt/homebrew/opt/openssl@3/bin"]
        for folder in folders where !folder.isEmpty {
            let candidate = folder + "/openssl"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestServerError(
            "TLS needs the openssl command-line tool, which is not installed: `apt-get install openssl`"
        )
    }
}

/// Runs `openssl` with our configuration, one kind of step per method.
private struct OpenSSLTool {
    let executable: String
    let config: String

    /// A new EC P-256 key and a self-signed CA certificate for it.
    func makeAuthority(name: String, key: String, certificate: String) throws {
        try run([
            "req", "-config", config, "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc",
            "-keyout", key, "-out", certificate, "-days", "3650", "-subj", "/CN=\(name)", "-extensions", "ca",
        ])
    }

    /// A new EC P-256 key and a certificate request for it, to be signed by ``sign``.
    func makeRequest(commonName: String, key: String, request: String) throws {
        try run([
            "req", "-config", config, "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-noenc",
            "-keyout", key, "-out", request, "-subj", "/CN=\(commonName)",
        ])
    }

    /// Signs `request` with a CA, adding the extensions of section `kind`, valid for `days`
    /// from now (a negative number gives an expired certificate); a random serial number.
    func sign(_ request: String, as kind: String, by authority: String, key: String, days: String, into certificate: String) throws {
        try run([
            "x509", "-req", "-in", request, "-CA", authority, "-CAkey", key, "-days", days,
            "-extfile", config, "-extensions", kind, "-out", certificate,
        ])
    }

    private func run(_ arguments: [String]) throws {
        let command = [executable] + arguments
        // OPENSSL_CONF too, so that no system configuration is loaded by the steps without -config.
        let environment = Subprocess.cleanEnvironment(adding: ["OPENSSL_CONF": config])
        let result = try Subprocess.run(command, environment: environment, timeout: .seconds(60))
        guard result.status == 0 else {
            throw TestServerError(
                "openssl failed making a test certificate",
                command: command,
                exitStatus: result.status,
                output: result.combinedOutput
            )
        }
    }
}
