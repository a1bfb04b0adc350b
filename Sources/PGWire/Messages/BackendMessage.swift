/// A message sent by the server, as defined by the PostgreSQL frontend/backend protocol 3.0
/// (and 3.2's longer cancel keys in BackendKeyData).
///
/// Produced by ``BackendMessageDecoder``; pure values with no I/O.
@_spi(Fuzzing)
public enum BackendMessage: Sendable, Equatable {
    /// `R`: an authentication request or result.
    case authentication(AuthenticationRequest)
    /// `K`: the process id and secret key used for CancelRequest.
    case backendKeyData(PGBackendKeyData)
    /// `2`
    case bindComplete
    /// `3`
    case closeComplete
    /// `C`: the command tag, for example `INSERT 0 1` or `SELECT 3`.
    case commandComplete(String)
    /// `d`: a chunk of COPY data.
    case copyData([UInt8])
    /// `c`
    case copyDone
    /// `G`
    case copyInResponse(CopyResponse)
    /// `H`
    case copyOutResponse(CopyResponse)
    /// `W`
    case copyBothResponse(CopyResponse)
    /// `D`: one row of a result.
    case dataRow(DataRow)
    /// `I`: the query string was empty.
    case emptyQueryResponse
    /// `E`: the server reports an error.
    case errorResponse([PGServerField: String])
    /// `V`: the result of a function call; `nil` for SQL NULL.
    case functionCallResponse([UInt8]?)
    /// `v`: the server does not support the requested minor version or some protocol options.
    case negotiateProtocolVersion(PGProtocolNegotiation)
    /// `n`: the statement returns no rows.
    case noData
    /// `N`: a warning or notice, with the same fields as an error.
    case noticeResponse([PGServerField: String])
    /// `A`: an asynchronous notification from LISTEN/NOTIFY.
    case notificationResponse(PGNotification)
    /// `t`: the parameter types of a prepared statement.
    case parameterDescription([UInt32])
    /// `S`: a run-time parameter's current value.
    case parameterStatus(name: String, value: String)
    /// `1`
    case parseComplete
    /// `s`: an Execute's row limit was reached.
    case portalSuspended
    /// `Z`: the server is ready for a new query; carries the transaction status.
    case readyForQuery(PGTransactionStatus)
    /// `T`: the columns of the rows to come.
    case rowDescription([PGColumnDescription])
}

/// The body of an `R` message.
@_spi(Fuzzing)
public enum AuthenticationRequest: Sendable, Equatable {
    /// 0: authentication succeeded.
    case ok
    /// 2
    case kerberosV5
    /// 3: send the password in clear text.
    case cleartextPassword
    /// 5: send `md5` + md5(md5(password + user) + salt) in hex.
    case md5Password(salt: (UInt8, UInt8, UInt8, UInt8))
    /// 7
    case gss
    /// 8: GSSAPI or SSPI continuation data.
    case gssContinue([UInt8])
    /// 9
    case sspi
    /// 10: start SASL with one of these mechanisms (for example `SCRAM-SHA-256`).
    case sasl(mechanisms: [String])
    /// 11: SASL challenge data (SCRAM's server-first-message).
    case saslContinue([UInt8])
    /// 12: SASL outcome data (SCRAM's server-final-message).
    case saslFinal([UInt8])

    public static func == (lhs: AuthenticationRequest, rhs: AuthenticationRequest) -> Bool {
        switch (lhs, rhs) {
        case (.ok, .ok), (.kerberosV5, .kerberosV5), (.cleartextPassword, .cleartextPassword),
            (.gss, .gss), (.sspi, .sspi):
            return true
        case let (.md5Password(a), .md5Password(b)):
            return a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && a.3 == b.3
        case let (.gssContinue(a), .gssContinue(b)): return a == b
        case let (.sasl(a), .sasl(b)): return a == b
        case let (.saslContinue(a), .saslContinue(b)): return a == b
        case let (.saslFinal(a), .saslFinal(b)): return a == b
        default: return false
        }
    }
}

/// The body of a `K` message. Protocol 3.0 sends a 4-byte key; 3.2 allows up to 256 bytes.
public struct PGBackendKeyData: Sendable, Equatable {
    /// The backend's process id, as in `pg_backend_pid()`.
    public var processID: Int32
    /// The key a CancelRequest must present to cancel this backend's query: 4 bytes with protocol
    /// 3.0, up to 256 with 3.2. A secret: never log it.
    public var secretKey: [UInt8]
    /// Key data with the given process id and secret key.
    public init(processID: Int32, secretKey: [UInt8]) {
        self.processID = processID
        self.secretKey = secretKey
    }
}

/// The body of `G`, `H` and `W` messages.
@_spi(Fuzzing)
public struct CopyResponse: Sendable, Equatable {
    /// The overall COPY format.
    public var format: PGFormat
    /// One format per column (all equal to ``format`` when it is text).
    public var columnFormats: [PGFormat]
    public init(format: PGFormat, columnFormats: [PGFormat]) {
        self.format = format
        self.columnFormats = columnFormats
    }
}

/// Text (0) or binary (1).
public enum PGFormat: Int16, Sendable, Equatable {
    /// Text format: values as PostgreSQL prints them (`42`, `t`, `2024-01-31`).
    case text = 0
    /// Binary format: each type's `send`/`recv` representation (big-endian integers, for example).
    /// PGWire asks for binary results to extended-protocol queries.
    case binary = 1
}

/// The body of a `v` message.
public struct PGProtocolNegotiation: Sendable, Equatable {
    /// The newest minor protocol version the server supports for the requested major version
    /// (servers send the whole version code; the decoder keeps its minor part).
    public var newestMinorVersion: Int32
    /// Protocol options (`_pq_.*`) the server did not recognise.
    public var unrecognizedOptions: [String]
    /// An answer with the given fields.
    public init(newestMinorVersion: Int32, unrecognizedOptions: [String]) {
        self.newestMinorVersion = newestMinorVersion
        self.unrecognizedOptions = unrecognizedOptions
    }
}

/// An asynchronous notification (LISTEN/NOTIFY): what `NOTIFY channel, 'payload'` or
/// `pg_notify(channel, payload)` sent, delivered by ``PGConnection/listen(_:bufferLimit:)``.
public struct PGNotification: Sendable, Equatable {
    /// The process id of the notifying backend (its `pg_backend_pid()`).
    public var processID: Int32
    /// The channel, as the server spells it (channel names are identifiers: case matters as quoted).
    public var channel: String
    /// The payload; empty when NOTIFY gave none.
    public var payload: String
    /// A notification with the given fields, for instance to test a handler.
    public init(processID: Int32, channel: String, payload: String) {
        self.processID = processID
        self.channel = channel
        self.payload = payload
    }
}

/// The transaction status carried by ReadyForQuery.
public enum PGTransactionStatus: UInt8, Sendable, Equatable {
    /// `I`: not in a transaction block.
    case idle = 73
    /// `T`: in a transaction block.
    case inTransaction = 84
    /// `E`: in a failed transaction block; queries are rejected until the block ends.
    case failed = 69
}

/// One column of a RowDescription.
public struct PGColumnDescription: Sendable, Equatable {
    /// The column's name: the alias the query gave it, else the table column's name (PostgreSQL
    /// names other expressions after their function, or `?column?`).
    public var name: String
    /// The OID of the source table, or 0.
    public var tableOID: UInt32
    /// The attribute number of the source column, or 0.
    public var columnAttributeNumber: Int16
    /// The OID of the column's data type.
    public var dataTypeOID: UInt32
    /// The type's size (`pg_type.typlen`); negative for variable-width types.
    public var dataTypeSize: Int16
    /// The type modifier (`pg_attribute.atttypmod`).
    public var typeModifier: Int32
    /// The format the column's values arrive in: binary for extended-protocol queries, text for the
    /// simple protocol (and for a statement only described, not yet bound).
    public var format: PGFormat

    /// A column description with the given fields.
    public init(
        name: String, tableOID: UInt32, columnAttributeNumber: Int16, dataTypeOID: UInt32,
        dataTypeSize: Int16, typeModifier: Int32, format: PGFormat
    ) {
        self.name = name
        self.tableOID = tableOID
        self.columnAttributeNumber = columnAttributeNumber
        self.dataTypeOID = dataTypeOID
        self.dataTypeSize = dataTypeSize
        self.typeModifier = typeModifier
        self.format = format
    }
}
