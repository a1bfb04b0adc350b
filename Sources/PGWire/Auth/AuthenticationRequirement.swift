extension PGConnection.Configuration {
    /// libpq 16's `require_auth`: which authentication methods the server may ask for.
    ///
    /// A comma-separated list allows exactly its methods (`scram-sha-256`, or
    /// `md5,scram-sha-256`); a list of negated methods forbids them (`!password,!md5`);
    /// `none` stands for a server that asks for no authentication at all (trust). The check
    /// runs when the server asks, before anything is sent, so a forbidden request never
    /// receives a password.
    public struct AuthenticationRequirement: Sendable, Equatable, CustomStringConvertible {
        /// An authentication method, by its `require_auth` name.
        @nonexhaustive
        public enum Method: String, Sendable, CaseIterable, Hashable {
            /// A cleartext password (`AuthenticationCleartextPassword`).
            case password
            /// An MD5-hashed password (`AuthenticationMD5Password`).
            case md5
            /// GSSAPI (Kerberos) authentication, which PGWire does not implement: a server that
            /// asks for it fails the connection either way.
            case gss
            /// SSPI (Windows) authentication, which PGWire does not implement: a server that asks
            /// for it fails the connection either way.
            case sspi
            /// SCRAM-SHA-256, with or without channel binding (SASL); how binding is used is up to
            /// ``PGConnection/Configuration/channelBinding``.
            case scramSHA256 = "scram-sha-256"
            /// OAuth bearer tokens (SASL `OAUTHBEARER`, PostgreSQL 18), which PGWire does not
            /// implement; accepted so that every libpq `require_auth` value parses.
            case oauth
            /// The server asked for nothing (trust, peer).
            case none
        }

        /// The methods the server may use.
        public var allowed: Set<Method>

        /// Allows exactly the methods in `allowed` (include ``Method/none`` to accept a server that
        /// asks for nothing).
        public init(allowed: Set<Method>) {
            self.allowed = allowed
        }

        /// Every method allowed (libpq's default).
        public static let any = AuthenticationRequirement(allowed: Set(Method.allCases))

        /// Parses libpq's syntax: methods either all plain or all negated with `!`, each once.
        public init(libpq value: String) throws(PGError) {
            try self.init(libpq: value, originSuffix: "")
        }

        /// `originSuffix` names where the value came from (an environment variable), for errors.
        init(libpq value: String, originSuffix: String) throws(PGError) {
            func invalid(_ expected: String) -> PGError {
                PGError(
                    .invalidConfiguration,
                    "invalid value \"\(value)\" for connection option \"require_auth\"\(originSuffix): expected \(expected)")
            }
            var listed: Set<Method> = []
            var negated: Bool?
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let isNegated = element.hasPrefix("!")
                let name = String(isNegated ? element.dropFirst() : element)
                guard let method = Method(rawValue: name) else {
                    throw invalid("a comma-separated list of " + Method.allCases.map(\.rawValue).joined(separator: ", ") + ", each optionally negated with !")
                }
                if let negated, negated != isNegated {
                    throw invalid("methods that are either all negated with ! or none")
                }
                guard listed.insert(method).inserted else { throw invalid("each method at most once") }
                negated = isNegated
            }
            allowed = negated == true ? Set(Method.allCases).subtracting(listed) : listed
        }

        /// The `require_auth` text for this requirement.
        public var description: String {
            if allowed == Self.any.allowed { return "any" }
            let forbidden = Method.allCases.filter { !allowed.contains($0) }
            if forbidden.count < allowed.count { return forbidden.map { "!" + $0.rawValue }.joined(separator: ",") }
            return Method.allCases.filter { allowed.contains($0) }.map(\.rawValue).joined(separator: ",")
        }

        /// Throws unless the server may use `method`; `request` says what it asked for.
        func check(_ method: Method, request: String) throws(PGError) {
            guard !allowed.contains(method) else { return }
            throw PGError(.authentication, "authentication method requirement \"\(self)\" failed: server \(request)")
        }
    }
}
