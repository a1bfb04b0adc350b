/// libpq's connection URIs:
/// `postgresql://[user[:password]@][host][:port][,...][/dbname][?param1=value1&...]`
/// (the scheme may also be `postgres://`).
///
/// Each part is percent-decoded (`%00` is refused). Hosts in square brackets are IPv6
/// addresses. Several `host:port` pairs separated by commas become comma-separated `host` and
/// `port` settings; a pair without a port leaves its place in the `port` list empty (the default
/// port). An empty host part sets no `host` at all, so the environment and the default (a Unix
/// socket) apply; `?host=/dir` given later overrides the host part, and a percent-encoded path
/// (`%2Fvar%2Frun%2Fpostgresql`) names a socket directory. Query parameters take any libpq
/// keyword; `ssl=true` means `sslmode=require`, as libpq accepts it from JDBC URIs.
///
/// Messages never include the user-info part of the URI, which holds the password.
enum URIParser {
    private static let schemes: [[UInt8]] = [Array("postgresql://".utf8), Array("postgres://".utf8)]

    /// The length of the URI scheme prefix, or nil if `bytes` is not a connection URI.
    static func schemeLength(_ bytes: [UInt8]) -> Int? {
        for scheme in schemes where bytes.starts(with: scheme) { return scheme.count }
        return nil
    }

    static func parse(_ bytes: [UInt8]) throws(PGError) -> [PGConnectionString.Parameter] {
        guard let schemeLength = schemeLength(bytes) else {
            throw PGError(.invalidConfiguration, "a connection URI must begin with postgresql:// or postgres://")
        }
        var parameters: [PGConnectionString.Parameter] = []
        let end = bytes.count
        var index = schemeLength

        // User info: everything before an "@" that comes before the first "/".
        var scan = index
        while scan < end, bytes[scan] != UInt8(ascii: "@"), bytes[scan] != UInt8(ascii: "/") { scan += 1 }
        if scan < end, bytes[scan] == UInt8(ascii: "@") {
            let userInfo = bytes[index..<scan]
            let colon = userInfo.firstIndex(of: UInt8(ascii: ":"))
            let user = userInfo[userInfo.startIndex..<(colon ?? userInfo.endIndex)]
            if !user.isEmpty {
                parameters.append(.init(key: "user", value: try decode(user, part: "user name", secret: false)))
            }
            if let colon {
                let password = userInfo[(colon + 1)...]
                if !password.isEmpty {
                    parameters.append(.init(key: "password", value: try decode(password, part: "password", secret: true)))
                }
            }
            index = scan + 1
        }

        // Hosts and ports: netloc[:port] pairs separated by commas.
        var hosts: [ArraySlice<UInt8>] = []
        var ports: [ArraySlice<UInt8>] = []
        var terminator: UInt8?
        while true {
            if index < end, bytes[index] == UInt8(ascii: "[") {
                let start = index + 1
                guard let close = bytes[start...].firstIndex(of: UInt8(ascii: "]")) else {
                    throw PGError(.invalidConfiguration, "missing \"]\" after the IPv6 address in the host part of the URI")
                }
                guard close > start else {
                    throw PGError(.invalidConfiguration, "the IPv6 address in the host part of the URI may not be empty")
                }
                hosts.append(bytes[start..<close])
                index = close + 1
                if index < end, ![UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: ",")].contains(bytes[index]) {
                    let character = String(decoding: [bytes[index]], as: UTF8.self)
                    throw PGError(
                        .invalidConfiguration,
                        "unexpected character \"\(character)\" after the IPv6 address \"\(String(decoding: bytes[start..<close], as: UTF8.self))\" in the URI (expected \":\", \"/\", \"?\" or \",\")")
                }
            } else {
                let start = index
                while index < end, ![UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: ",")].contains(bytes[index]) {
                    index += 1
                }
                hosts.append(bytes[start..<index])
            }
            terminator = index < end ? bytes[index] : nil
            if terminator == UInt8(ascii: ":") {
                index += 1
                let start = index
                while index < end, ![UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: ",")].contains(bytes[index]) { index += 1 }
                ports.append(bytes[start..<index])
                terminator = index < end ? bytes[index] : nil
            } else {
                ports.append([])
            }
            guard terminator == UInt8(ascii: ",") else { break }
            index += 1
        }
        let hostList = joined(hosts)
        if !hostList.isEmpty {
            parameters.append(.init(key: "host", value: try decode(hostList[...], part: "host", secret: false)))
        }
        // libpq stores "," when several hosts have no port, which hides PGPORT; PGWire stores
        // a port list only when some host has a port, so PGPORT applies to portless hosts.
        if ports.contains(where: { !$0.isEmpty }) {
            let portList = joined(ports)
            parameters.append(.init(key: "port", value: try decode(portList[...], part: "port", secret: false)))
        }

        // Database name: after "/" up to "?".
        if terminator == UInt8(ascii: "/") {
            index += 1
            let start = index
            while index < end, bytes[index] != UInt8(ascii: "?") { index += 1 }
            if index > start {
                parameters.append(.init(key: "dbname", value: try decode(bytes[start..<index], part: "database name", secret: false)))
            }
            terminator = index < end ? bytes[index] : nil
        }

        if terminator == UInt8(ascii: "?") {
            parameters += try queryParameters(bytes[(index + 1)...])
        }
        return parameters
    }

    private static func joined(_ parts: [ArraySlice<UInt8>]) -> [UInt8] {
        var result: [UInt8] = []
        for (offset, part) in parts.enumerated() {
            if offset > 0 { result.append(UInt8(ascii: ",")) }
            result += part
        }
        return result
    }

    /// `key=value` pairs separated by `&`; each key and value percent-decoded.
    private static func queryParameters(_ query: ArraySlice<UInt8>) throws(PGError) -> [PGConnectionString.Parameter] {
        var parameters: [PGConnectionString.Parameter] = []
        var segments = query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false)
        // A trailing "&" (or an empty query) ends the list, as in libpq.
        if segments.last?.isEmpty == true { segments.removeLast() }
        for segment in segments {
            let separators = segment.indices.filter { segment[$0] == UInt8(ascii: "=") }
            guard let equals = separators.first else {
                throw PGError(
                    .invalidConfiguration,
                    "missing key/value separator \"=\" in URI query parameter \"\(String(decoding: segment, as: UTF8.self))\"")
            }
            let rawKey = segment[segment.startIndex..<equals]
            guard separators.count == 1 else {
                throw PGError(
                    .invalidConfiguration,
                    "extra key/value separator \"=\" in URI query parameter \"\(String(decoding: rawKey, as: UTF8.self))\"")
            }
            let key = try decode(rawKey, part: "query parameter name", secret: false)
            let value = try decode(segment[(equals + 1)...], part: "value of \(key)", secret: ConnectionKeyword.isSecret(key))
            if key == "ssl" {
                guard value == "true" else {
                    throw PGError(.invalidConfiguration, "invalid URI query parameter \"ssl=\(value)\": only ssl=true (sslmode=require) is accepted")
                }
                parameters.append(.init(key: "sslmode", value: "require"))
            } else {
                guard ConnectionKeyword.byName[key] != nil else { throw ConnectionKeyword.unknownKeyError(key) }
                parameters.append(.init(key: key, value: value))
            }
        }
        return parameters
    }

    /// Percent-decodes one part of the URI. Messages show the undecoded text unless the part is a secret.
    static func decode(_ raw: ArraySlice<UInt8>, part: String, secret: Bool) throws(PGError) -> String {
        func shown() -> String { secret ? "" : " \"\(String(decoding: raw, as: UTF8.self))\"" }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                index += 1
                continue
            }
            guard index + 2 < raw.endIndex, let high = raw[index + 1].hexDigitValue, let low = raw[index + 2].hexDigitValue else {
                throw PGError(.invalidConfiguration, "invalid percent-encoded token in the URI's \(part)\(shown())")
            }
            let decoded = high << 4 | low
            guard decoded != 0 else {
                throw PGError(.invalidConfiguration, "forbidden value %00 in the URI's \(part)\(shown())")
            }
            bytes.append(decoded)
            index += 3
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PGError(.invalidConfiguration, "the URI's \(part) is not valid UTF-8 after percent-decoding\(shown())")
        }
        return text
    }

}
