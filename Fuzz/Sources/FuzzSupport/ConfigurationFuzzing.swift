@_spi(Fuzzing) import PGWire

/// libpq connection strings, in both syntaxes, and their resolution into settings.
public enum ConfigurationFuzzing {
    /// A password that must never show in an error message or a description.
    static let marker = "Pw~Marker~7"
    static let environment = ["PGPASSWORD": marker, "PGUSER": "fuzz", "HOME": "/nonexistent-fuzz-home"]
    static let secretKeys: Set<String> = ["password", "sslpassword"]

    /// `key=value` syntax (or a URI, if the input begins like one). If byte 0 is odd, the text
    /// starts with a password setting holding the marker.
    public static func connectionString(_ input: [UInt8]) {
        guard let first = input.first else { return check("") }
        let text = String(decoding: input.dropFirst(), as: UTF8.self)
        guard !shows(text) else { return }
        check(first & 1 == 1 ? "password=\(marker) " + text : text)
    }

    /// URI syntax: the input follows `postgresql://`. If byte 0 is odd, the user info holding
    /// the marker comes first.
    public static func uri(_ input: [UInt8]) {
        guard let first = input.first else { return check("postgresql://") }
        let text = String(decoding: input.dropFirst(), as: UTF8.self)
        guard !shows(text) else { return }
        check(first & 1 == 1 ? "postgresql://user:\(marker)@" + text : "postgresql://" + text)
    }

    static func check(_ text: String) {
        let parsed: PGConnectionString
        do {
            parsed = try PGConnectionString(text)
        } catch {
            checkError(error)
            return
        }
        let known = Set(PGConnectionString.knownKeywords)
        for parameter in parsed.parameters {
            FuzzSupport.check(known.contains(parameter.key), "unknown keyword \(parameter.key) accepted")
        }
        FuzzSupport.check(!shows(parsed.description), "a description shows a password")

        // Written back in key=value syntax (every value quoted and escaped), the settings parse the same.
        var written: [UInt8] = []
        for parameter in parsed.parameters {
            written += Array(parameter.key.utf8) + Array("='".utf8)
            for byte in parameter.value.utf8 {
                if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\\") { written.append(UInt8(ascii: "\\")) }
                written.append(byte)
            }
            written += Array("' ".utf8)
        }
        let reparsed = try? PGConnectionString(String(decoding: written, as: UTF8.self))
        FuzzSupport.check(reparsed?.parameters == parsed.parameters, "settings do not survive key=value syntax")

        // The description is key=value syntax too: without secrets (which it hides) it parses the same.
        if !parsed.parameters.contains(where: { secretKeys.contains($0.key) }) {
            let described = try? PGConnectionString(parsed.description)
            FuzzSupport.check(described?.parameters == parsed.parameters, "the description does not parse back: \(parsed.description)")
        }

        do {
            let settings = try PGConnectionSettings(parsed, environment: environment)
            FuzzSupport.check(!shows(settings.description), "a settings description shows a password")
            FuzzSupport.check(!settings.configuration.servers.isEmpty, "no server")
            FuzzSupport.check(settings.serverPasswords.count == settings.configuration.servers.count, "passwords per server")
            for warning in settings.warnings {
                FuzzSupport.check(!shows(warning), "a warning shows a password")
            }
        } catch {
            checkError(error)
        }
    }

    static func checkError(_ error: any Error) {
        guard let error = error as? PGError else { fail("the configuration threw \(type(of: error)): \(error)") }
        FuzzSupport.check(error.code == .invalidConfiguration, "the configuration threw \(error)")
        FuzzSupport.check(!shows(error.description), "an error shows a password: \(error)")
    }

    /// Whether `text` contains the marker (compared as UTF-8 bytes, whatever follows it).
    static func shows(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let needle = Array(marker.utf8)
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }
}
