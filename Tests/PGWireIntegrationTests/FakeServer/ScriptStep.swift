/// One step of what a ``ScriptedServer`` does on a connection, played in order.
///
/// A script is data, not code, so a test reads as the conversation it stages. A step that waits
/// for the client ends the script when the client closes its socket (nothing is left to play);
/// every wait is bounded by the server's lifetime and by ``ScriptedServer/stop()``.
enum ScriptStep: Sendable {
    /// Reads the untyped startup packet (Int32 length including itself, then the body). An
    /// SSLRequest is answered `N` and the real startup packet read after it. A CancelRequest is
    /// recorded in ``ScriptedServer/cancelRequests`` and ends the connection (as PostgreSQL does).
    case readStartup
    /// Reads an SSLRequest and answers nothing: the next steps answer it (to stage a server
    /// that says `S` and then sends bytes before the handshake).
    case readSSLRequest
    /// Reads one frontend message (type byte, Int32 length, body); with a type, any other type
    /// is recorded as a script problem.
    case readMessage(type: Character?)
    /// Reads frontend messages up to and including one of this type (`S` Sync, `Q` Query, ...).
    case readUntil(Character)
    /// Writes these bytes (a whole message, several, or a fragment).
    case send([UInt8])
    /// Waits this long without reading.
    case pause(Duration)
    /// Closes the socket; the script ends.
    case close
    /// Keeps the socket open, reading and discarding whatever arrives, until the client closes
    /// or the server stops. What arrives is still recorded as raw bytes.
    case silent
    /// Plays the server side of SCRAM-SHA-256: sends AuthenticationSASL, reads the
    /// SASLInitialResponse, sends server-first, reads client-final, sends server-final. The
    /// script then continues (normally with ``BackendBytes/afterAuthentication`` after an
    /// AuthenticationOk). A tampered exchange stops where the client is expected to give up.
    case scramServer(password: String, iterations: Int = 4096, tamper: SCRAMTamper = .none)
    /// Answers queries until the client closes: each simple Query, and each extended batch up
    /// to its Sync, gets a one-column result holding `value` (ParseComplete, BindComplete and
    /// RowDescription only when Parse, Bind and Describe were sent); Terminate ends the script.
    case serveQueries(value: Int32)

    /// Startup read, then ``BackendBytes/trustHandshake``.
    static var handshake: [ScriptStep] { [.readStartup, .send(BackendBytes.trustHandshake)] }
}

/// How a ``ScriptStep/scramServer(password:iterations:tamper:)`` exchange misbehaves.
enum SCRAMTamper: Sendable, Equatable {
    /// A correct exchange.
    case none
    /// server-final carries a signature that is not HMAC(ServerKey, AuthMessage).
    case wrongServerSignature
    /// The server nonce does not start with the client's nonce.
    case nonceNotExtendingClient
    /// The server nonce equals the client's (the server added nothing).
    case nonceEqualToClient
    /// server-first has no `s=` attribute.
    case missingSalt
    /// AuthenticationOk arrives right after server-first, before the client could verify the
    /// server (the server never proves it knows the password).
    case okBeforeFinal
}
