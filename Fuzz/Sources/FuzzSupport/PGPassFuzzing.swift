@_spi(Fuzzing) import PGWire

/// libpq's password file (`.pgpass`), parsed from text as ``PGPassFile/load(path:)`` parses a file.
public enum PGPassFuzzing {
    /// The whole input is the file's contents. Checks: no trap; every entry written back (escaped)
    /// parses to itself, alone and as a whole file; lookups with hosts, ports, databases and users
    /// taken from the input give the password of the first matching entry.
    public static func file(_ input: [UInt8]) {
        let text = String(decoding: input, as: UTF8.self)
        let file = PGPassFile(contents: text)

        for entry in file.entries {
            let line = write(entry)
            let again = PGPassFile(contents: line).entries
            check(again == [entry], "\(entry) written as \(line.debugDescription) parses as \(again)")
        }
        let written = file.entries.map(write).joined(separator: "\n")
        check(PGPassFile(contents: written).entries == file.entries, "the entries written back parse differently")

        for (host, port, database, user) in lookups(file, text) {
            let found = file.password(host: host, port: port, database: database, user: user)
            let expected = model(file, host: host, port: port, database: database, user: user)
            check(found == expected, "lookup \(host):\(port):\(database):\(user) gave \(found ?? "nil"), not \(expected ?? "nil")")
        }
    }

    /// One entry as a line, each field escaped the way the parser reads it back: `\` and `:`
    /// escaped; a literal `*` as `\*` (a bare `*` is the wildcard); a host beginning with `#` as
    /// `\#` (a line beginning with `#` is a comment); and a password ending in CR followed by an
    /// unescaped `:` (the parser drops one CR at the end of a line, and ignores what follows the
    /// password's colon).
    public static func write(_ entry: PGPassFile.Entry) -> String {
        func escaped(_ text: String) -> String {
            var result = ""
            for character in text.unicodeScalars {
                if character == "\\" || character == ":" { result.unicodeScalars.append("\\") }
                result.unicodeScalars.append(character)
            }
            return result
        }
        func field(_ field: PGPassFile.Entry.Field) -> String {
            switch field {
            case .any: return "*"
            case .value("*"): return "\\*"
            case .value(let value): return escaped(value)
            }
        }
        var host = field(entry.host)
        if host.utf8.first == UInt8(ascii: "#") { host = "\\" + host }
        var line = [host, field(entry.port), field(entry.database), field(entry.user), escaped(entry.password)]
            .joined(separator: ":")
        if entry.password.unicodeScalars.last == "\r" { line += ":" }
        return line
    }

    /// What the lookup must return: the first entry matching all four (an empty host and the
    /// default socket directory are looked up as `localhost`), nil for an empty password.
    static func model(_ file: PGPassFile, host: String, port: Int, database: String, user: String) -> String? {
        let host = host.isEmpty || host == PGConnectionSettings.defaultSocketDirectory ? "localhost" : host
        func matches(_ field: PGPassFile.Entry.Field, _ value: String) -> Bool {
            if case .value(let literal) = field { return literal == value }
            return true
        }
        guard let entry = file.entries.first(where: {
            matches($0.host, host) && matches($0.port, String(port)) && matches($0.database, database) && matches($0.user, user)
        }) else { return nil }
        return entry.password.isEmpty ? nil : entry.password
    }

    /// Lookups built from the first entries' own fields and from pieces of the raw text, plus
    /// the empty host and the default socket directory.
    static func lookups(_ file: PGPassFile, _ text: String) -> [(String, Int, String, String)] {
        func value(_ field: PGPassFile.Entry.Field, _ other: String) -> String {
            if case .value(let literal) = field { return literal }
            return other
        }
        func port(_ text: String) -> Int {
            if let number = Int(text) { return number }
            var hash: UInt64 = 0xCBF2_9CE4_8422_2325
            for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
            return Int(truncatingIfNeeded: hash) >> Int(hash & 63)
        }
        var result: [(String, Int, String, String)] = []
        for entry in file.entries.prefix(8) {
            let host = value(entry.host, "localhost")
            result.append((host, port(value(entry.port, "5432")), value(entry.database, "db"), value(entry.user, "user")))
            result.append(("", port(value(entry.port, "")), value(entry.database, ""), value(entry.user, "")))
        }
        let pieces = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == ":" }).map(String.init)
        var index = 0
        while index < pieces.count, result.count < 24 {
            let piece = { (offset: Int) in index + offset < pieces.count ? pieces[index + offset] : "" }
            result.append((piece(0), port(piece(1)), piece(2), piece(3)))
            index += 4
        }
        result.append((PGConnectionSettings.defaultSocketDirectory, 5432, "postgres", "postgres"))
        result.append(("localhost", 5432, "postgres", "postgres"))
        return result
    }
}
