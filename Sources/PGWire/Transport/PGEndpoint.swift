/// Where a server listens: a TCP host and port, or a Unix domain socket file.
@nonexhaustive
public enum PGEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// A host name or numeric address (IPv4 or IPv6) and a port.
    case tcp(host: String, port: Int)
    /// The path of a Unix domain socket file.
    case unixSocket(path: String)

    /// libpq's rule: a host beginning with `/` is a socket directory, and the socket file in it
    /// is `<dir>/.s.PGSQL.<port>`; anything else is a TCP host.
    public init(host: String, port: Int) {
        if host.hasPrefix("/") {
            let directory = host.hasSuffix("/") ? String(host.dropLast()) : host
            self = .unixSocket(path: "\(directory)/.s.PGSQL.\(port)")
        } else {
            self = .tcp(host: host, port: port)
        }
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port):
            return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unixSocket(let path):
            return path
        }
    }
}
