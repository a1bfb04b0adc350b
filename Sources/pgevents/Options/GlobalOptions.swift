import ArgumentParser

/// The options every command takes: where the store is.
struct GlobalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A libpq connection string or URI, e.g. postgresql://user:secret@localhost:5432/db.",
            discussion: "Keywords it leaves out come from the PG* variables and ~/.pgpass, as in libpq.",
            valueName: "url"))
    var url: String?

    @Option(
        name: .customLong("read-url"),
        help: ArgumentHelp(
            "Where reads, tail and subscriptions fetch events: a standby, e.g. postgresql://app@replica1,replica2/db?target_session_attrs=prefer-standby (default: PGEVENTS_READ_URL, else the server of --url).",
            discussion: "Appends and checkpoints stay on the primary; status shows how far the read server lags behind it.",
            valueName: "url"))
    var readURL: String?

    @Option(
        name: .customLong("listen-url"),
        help: ArgumentHelp(
            "A direct connection (not through PgBouncer) for LISTEN, subscriptions and migrate (default: $PGEVENTS_LISTEN_URL).",
            discussion: "Needed when --url goes through a pooler in transaction mode (pooler_mode=transaction).",
            valueName: "url"))
    var listenURL: String?

    @Option(help: ArgumentHelp("The PostgreSQL schema holding the store's tables.", valueName: "name"))
    var schema: String = "pgevents"

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "The embedded server's folder (default: $XDG_DATA_HOME/pgevents or ~/.local/share/pgevents).",
            valueName: "folder"))
    var dataDirectory: String?

    func validate() throws {
        if url != nil && dataDirectory != nil {
            throw ValidationError("--url and --data-dir exclude each other: --url names a server, --data-dir the embedded one")
        }
        if schema.isEmpty { throw ValidationError("--schema must not be empty") }
        if readURL != nil && url == nil && dataDirectory != nil {
            throw ValidationError("--read-url needs a server to append to: give --url (a standby of the embedded server is not supported)")
        }
    }

    /// The connection rule, shown in every command's help.
    static let connectionHelp = """
        CONNECTION (first match wins):
          1. --url URL       libpq URI (postgresql://user:pw@host:5432/db) or key=value
          2. --data-dir DIR  the embedded server in DIR
          3. DATABASE_URL    when set and not empty
          4. PG* variables   when PGHOST, PGHOSTADDR, PGPORT, PGDATABASE, PGUSER or
                             PGSERVICE is set and not empty (PGPASSWORD, PGSSLMODE,
                             ... alone do not select a server)
          5. the embedded server in $XDG_DATA_HOME/pgevents (an absolute path),
             else ~/.local/share/pgevents
        For 1, 3 and 4, what the string leaves out comes from the PG* variables and ~/.pgpass, \
        as in libpq.

        TLS: as in libpq, sslmode=prefer by default (TLS when the server offers it); set \
        sslmode=verify-full and sslrootcert=CA.pem (or sslrootcert=system) in the URL, or \
        PGSSLMODE and PGSSLROOTCERT, to check the server's certificate; sslcert, sslkey and \
        sslpassword for a client certificate; ~/.postgresql/root.crt, postgresql.crt and \
        postgresql.key are used when they exist. `pgevents status` shows whether the \
        connection is encrypted. The embedded server's Unix socket needs no TLS.

        EMBEDDED SERVER: pgevents runs PostgreSQL from the local installation (Debian: \
        apt-get install postgresql) on a cluster in DIR/cluster, created on first use, started \
        for the command and stopped when it ends. It listens only on a Unix socket in that \
        folder, and keeps PostgreSQL's durable defaults. Run as root, the server runs as the OS \
        user postgres, which must be able to enter every folder above DIR: when the default \
        folder fails that (root's home is mode 0700), pgevents uses /var/lib/pgevents instead; \
        a --data-dir that fails it is an error.

        POOLERS: behind PgBouncer in transaction mode, add pooler_mode=transaction to the URL \
        (postgresql://app@pgbouncer:6432/app?pooler_mode=transaction): queries then keep no \
        prepared statements on the server. LISTEN (tail, subscription run), the subscriptions' \
        advisory locks and migrate's need a session of their own: give a direct URL with \
        --listen-url or PGEVENTS_LISTEN_URL; without it they fail and say so.
        """
}
