extension SettingsResolver {
    /// `sslmode` and the certificate paths, with libpq's rules: `sslrootcert=system` makes
    /// `verify-full` the default and forbids weaker modes; `sslnegotiation=direct` needs
    /// `require` or stronger; the TLS protocol version range must not be empty; files left
    /// unset come from `~/.postgresql/` when they exist there.
    func tls() throws(PGError) -> Configuration.TLS {
        var rootCertificate = nonEmpty("sslrootcert")
        var mode: Configuration.TLSMode = rootCertificate == "system" ? .verifyFull : .prefer
        if let text = nonEmpty("sslmode") {
            guard let parsed = Configuration.TLSMode(rawValue: text) else {
                throw ConnectionKeyword.invalid("sslmode", text, origin: origin("sslmode"), expected: "a libpq sslmode value")
            }
            if rootCertificate == "system", parsed != .verifyFull {
                throw PGError(
                    .invalidConfiguration,
                    "weak sslmode \"\(text)\" may not be used with sslrootcert=system (use \"verify-full\")")
            }
            mode = parsed
        }
        let negotiation: Configuration.TLSNegotiation = nonEmpty("sslnegotiation") == "direct" ? .direct : .postgres
        if negotiation == .direct, [.disable, .allow, .prefer].contains(mode) {
            throw PGError(
                .invalidConfiguration,
                "weak sslmode \"\(mode.rawValue)\" may not be used with sslnegotiation=direct (use \"require\", \"verify-ca\", or \"verify-full\")")
        }
        let minimum = try protocolVersion("ssl_min_protocol_version") ?? .tls1_2
        let maximum = try protocolVersion("ssl_max_protocol_version")
        if let maximum, minimum > maximum {
            throw PGError(
                .invalidConfiguration,
                "invalid SSL protocol version range: ssl_min_protocol_version \(minimum.rawValue) is above ssl_max_protocol_version \(maximum.rawValue)")
        }
        try refuseUnsupportedTLSSettings()
        // libpq's defaults, each used only when the file exists (a missing default is no error;
        // verify-ca and verify-full then fail for want of a root certificate, naming this path).
        let defaults = home.map { ($0.hasSuffix("/") ? $0 : $0 + "/") + ".postgresql/" }
        func fallback(_ name: String) -> String? {
            guard let defaults, SystemFiles.exists(defaults + name) else { return nil }
            return defaults + name
        }
        rootCertificate = rootCertificate ?? fallback("root.crt")
        // libpq's root.crl default: only with a root certificate file, and only when neither
        // sslcrl nor sslcrldir names a list.
        let revocationList = nonEmpty("sslcrl")
            ?? (rootCertificate != nil && rootCertificate != "system" && nonEmpty("sslcrldir") == nil ? fallback("root.crl") : nil)
        // sslcertmode=disable: never present a client certificate.
        let sendsCertificate = nonEmpty("sslcertmode") != "disable"
        let certificate = sendsCertificate ? nonEmpty("sslcert") ?? fallback("postgresql.crt") : nil
        let key = certificate == nil ? nil : nonEmpty("sslkey") ?? fallback("postgresql.key")
        return Configuration.TLS(
            mode: mode,
            rootCertificatePath: rootCertificate,
            certificatePath: certificate,
            keyPath: key,
            keyPassword: values["sslpassword"].flatMap { $0.isEmpty ? nil : $0 },
            revocationListPath: revocationList,
            revocationListDirectory: nonEmpty("sslcrldir"),
            serverNameIndication: nonEmpty("sslsni") != "0",
            minimumProtocolVersion: minimum,
            maximumProtocolVersion: maximum,
            negotiation: negotiation
        )
    }

    private func protocolVersion(_ key: String) throws(PGError) -> Configuration.TLSProtocolVersion? {
        guard let text = nonEmpty(key) else { return nil }
        guard let version = Configuration.TLSProtocolVersion(libpq: text) else {
            throw ConnectionKeyword.invalid(key, text, origin: origin(key), expected: "TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3")
        }
        return version
    }

    /// libpq settings PGWire parses but does not carry out fail here, so none is silently
    /// ignored: `sslcertmode=require` (PGWire sends its certificate whenever it has one, as
    /// `allow` does) and `sslkeylogfile`. (`sslcompression` is ignored, as libpq 17 does.)
    private func refuseUnsupportedTLSSettings() throws(PGError) {
        if nonEmpty("sslcertmode") == "require" {
            throw PGError(.invalidConfiguration, "sslcertmode=require is not supported by PGWire (disable and allow are)")
        }
        if nonEmpty("sslkeylogfile") != nil {
            throw PGError(.invalidConfiguration, "sslkeylogfile is not supported by PGWire")
        }
    }
}
