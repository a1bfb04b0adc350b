import FoundationEssentials
import Testing

@_spi(Fuzzing) @testable import PGWire

/// Replays every input under `Fuzz/Regressions/<fuzzer>/` through the decoder that fuzzer
/// drives, with the same verdicts: no trap, a `PGError` of the documented code for a rejected
/// input, and for an accepted one the same invariants (the framer fed in any chunking agrees
/// with itself and with `decodeBody`, decode-encode-decode gives the same message, a SCRAM or
/// connection-string value written back parses the same). So a fixed fuzzer finding stays fixed
/// without building the fuzzers. The inputs are the fuzzers' own format (see `Fuzz/README.md`).
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// `Fuzz/Regressions`, found from this file's path.
    static let folder: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // FuzzRegressionTests.swift, PGWireTests, Tests
        return parts.joined(separator: "/") + "/Fuzz/Regressions"
    }()

    /// Each fuzzer's replay. A new fuzzer with regression inputs must be added here.
    static let replays: [String: @Sendable ([UInt8]) throws -> Void] = [
        "FuzzBackendStream": Replay.stream,
        "FuzzBackendBody": { input in
            guard let type = input.first else { return }
            _ = try Replay.body(type, Array(input.dropFirst()))
        },
        "FuzzErrorNotice": Replay.errorNotice,
        "FuzzRowDescription": { _ = try Replay.body(UInt8(ascii: "T"), $0) },
        "FuzzDataRow": Replay.dataRow,
        "FuzzParameterStatus": { _ = try Replay.body(UInt8(ascii: "S"), $0) },
        "FuzzBackendKeyData": { input in
            if case .backendKeyData(let key)? = try Replay.body(UInt8(ascii: "K"), input) {
                try Replay.require((4...256).contains(key.secretKey.count), "secret key of \(key.secretKey.count) bytes")
            }
        },
        "FuzzNotification": { _ = try Replay.body(UInt8(ascii: "A"), $0) },
        "FuzzAuthentication": { _ = try Replay.body(UInt8(ascii: "R"), $0) },
        "FuzzCopyResponse": { input in
            guard let selector = input.first else { return }
            _ = try Replay.body(Array("GHW".utf8)[Int(selector % 3)], Array(input.dropFirst()))
        },
        "FuzzNegotiateProtocolVersion": { _ = try Replay.body(UInt8(ascii: "v"), $0) },
        "FuzzSCRAMServerFirst": Replay.scramServerFirst,
        "FuzzSCRAMServerFinal": Replay.scramServerFinal,
        "FuzzBase64": Replay.base64,
        // Traps on a broken round trip (the library's own fuzzing entry).
        "FuzzValues": { PGValueFuzzing.decode($0) },
        "FuzzConnectionString": { input in
            guard let first = input.first else { return try Replay.connectionString("") }
            let text = String(decoding: input.dropFirst(), as: UTF8.self)
            try Replay.connectionString(first & 1 == 1 ? "password=\(Replay.marker) " + text : text)
        },
        // Both trap when whole and chunked decoding disagree or a round trip breaks.
        "FuzzCopyBinary": { PGCopyFuzzing.decode($0) },
        "FuzzCopyText": { PGCopyFuzzing.decodeText($0) },
        "FuzzConnectionURI": { input in
            guard let first = input.first else { return try Replay.connectionString("postgresql://") }
            let text = String(decoding: input.dropFirst(), as: UTF8.self)
            try Replay.connectionString(
                first & 1 == 1 ? "postgresql://user:\(Replay.marker)@" + text : "postgresql://" + text)
        },
        "FuzzPGPass": Replay.pgpass,
        // The flow machines' invariants (the library's PGFlowFuzzing).
        "FuzzFlowMachines": { input in
            if let broken = PGFlowFuzzing.run(input) { throw Replay.Broken(description: broken) }
        },
    ]

    static func files(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func everyFuzzerHasRegressionInputsAndEveryFolderAReplay() throws {
        let folders = try Self.files(in: Self.folder)
        #expect(Set(folders) == Set(Self.replays.keys), "Fuzz/Regressions/ folders and replays differ")
        for folder in folders {
            #expect(try !Self.files(in: Self.folder + "/" + folder).isEmpty, "Fuzz/Regressions/\(folder) is empty")
        }
    }

    @Test(arguments: replays.keys.sorted())
    func replay(_ fuzzer: String) throws {
        let folder = Self.folder + "/" + fuzzer
        let names = try Self.files(in: folder)
        #expect(!names.isEmpty, "no regression inputs in \(folder)")
        for name in names {
            let input = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
            do {
                try Self.replays[fuzzer]!(input)
            } catch {
                Issue.record("\(fuzzer)/\(name): \(error)")
            }
        }
    }
}

/// The fuzzers' verdicts, as throwing checks.
private enum Replay {
    struct Broken: Error, CustomStringConvertible {
        var description: String
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw Broken(description: message()) }
    }

    static func pgError(_ error: any Error) throws -> PGError {
        guard let error = error as? PGError else { throw Broken(description: "threw \(type(of: error)): \(error)") }
        return error
    }

    // MARK: Backend messages

    /// The framer: at once, byte by byte and in chunks of 7 (through the three ways of feeding
    /// it), the same messages and the same error or remainder; each message its whole frame.
    static func stream(_ input: [UInt8]) throws {
        guard input.count >= 2 else { return }
        let limits = [
            BackendMessageDecoder.Limits(),
            .init(maxShortMessageLength: 16, maxLongMessageLength: 64),
            .init(maxShortMessageLength: 4, maxLongMessageLength: 300),
            .init(maxShortMessageLength: 30_000, maxLongMessageLength: 8),
        ][Int(input[0] & 3)]
        let bytes = Array(input[2...])
        var results: [([BackendMessage], PGError?, Int)] = []
        for chunk in [bytes.count, 1, 7] {
            var decoder = BackendMessageDecoder(limits: limits)
            var messages: [BackendMessage] = []
            var failure: PGError?
            var position = 0
            feeding: repeat {
                let piece = bytes[position..<min(position + max(chunk, 1), bytes.count)]
                switch position / max(chunk, 1) % 3 {
                case 0: piece.withUnsafeBytes { decoder.append($0) }
                case 1: decoder.append(contentsOf: piece.lazy.map { $0 })
                default:
                    _ = decoder.writeIntoTail(minimumCapacity: max(piece.count, 1)) { tail in
                        piece.withUnsafeBytes { tail.copyMemory(from: $0) }
                        return piece.count
                    }
                }
                position += piece.count
                while true {
                    let before = decoder.bufferedByteCount
                    do {
                        guard let message = try decoder.next() else { break }
                        try require(before - decoder.bufferedByteCount >= 5, "a message consumed under 5 bytes")
                        messages.append(message)
                    } catch {
                        failure = try pgError(error)
                        try require(
                            failure?.code == .protocolViolation || failure?.code == .messageTooLarge,
                            "the framer threw \(error)")
                        do {
                            _ = try decoder.next()
                            throw Broken(description: "the framer did not keep throwing \(error)")
                        } catch let again as PGError {
                            try require(again == failure, "the framer threw \(again), then \(error)")
                        }
                        break feeding
                    }
                }
            } while position < bytes.count
            results.append((messages, failure, decoder.bufferedByteCount))
        }
        for result in results.dropFirst() {
            try require(result.0 == results[0].0, "chunked decoding gave other messages")
            try require(result.1 == results[0].1, "chunked decoding ended in \(String(describing: result.1))")
            try require(result.1 != nil || result.2 == results[0].2, "chunked decoding left other bytes")
        }
        for message in results[0].0 { try roundTrip(message) }
    }

    /// decodeBody and the framer agree; an accepted message survives encode and decode.
    static func body(_ type: UInt8, _ body: [UInt8]) throws -> BackendMessage? {
        var result: Result<BackendMessage, PGError>
        do {
            result = .success(try body.withUnsafeBytes { try BackendMessageDecoder.decodeBody(type: type, body: $0) })
        } catch {
            result = .failure(try pgError(error))
            try require(try pgError(error).code == .protocolViolation, "decodeBody threw \(error)")
        }
        var framer = BackendMessageDecoder()
        framer.append(contentsOf: [type] + Encoder.int32(Int32(body.count + 4)) + body)
        do {
            let framed = try framer.next()
            try require(framed == (try? result.get()), "the framer disagrees with decodeBody")
            try require(framer.bufferedByteCount == 0, "the framer left bytes of a whole frame")
        } catch {
            let error = try pgError(error)
            try require(error.code == .messageTooLarge || Result.failure(error) == result, "the framer threw \(error)")
        }
        guard case .success(let message) = result else { return nil }
        try roundTrip(message)
        return message
    }

    static func roundTrip(_ message: BackendMessage) throws {
        let (type, body) = Encoder.encode(message)
        let again = try body.withUnsafeBytes { try BackendMessageDecoder.decodeBody(type: type, body: $0) }
        try require(again == message, "\(message) decodes as \(again) after encoding")
        try require(Encoder.encode(again).1 == body, "the encoding of \(message) is not stable")
    }

    static func errorNotice(_ input: [UInt8]) throws {
        let error = try body(UInt8(ascii: "E"), input)
        let notice = try body(UInt8(ascii: "N"), input)
        switch (error, notice) {
        case (nil, nil): return
        case (.errorResponse(let a)?, .noticeResponse(let b)?): try require(a == b, "E and N decode differently")
        default: throw Broken(description: "ErrorResponse and NoticeResponse disagree")
        }
    }

    static func dataRow(_ input: [UInt8]) throws {
        guard case .dataRow(let row)? = try body(UInt8(ascii: "D"), input) else { return }
        let columns = (0..<row.count).map { row[$0].map(Array.init) }
        try require(DataRow(columns: columns) == row, "a DataRow's columns do not rebuild it")
    }

    /// A backend message encoder, as in `Fuzz/Sources/FuzzSupport/BackendEncoder.swift`.
    enum Encoder {
        static func encode(_ message: BackendMessage) -> (UInt8, [UInt8]) {
            func c(_ text: String) -> [UInt8] { Array(text.utf8) + [0] }
            func t(_ scalar: Unicode.Scalar) -> UInt8 { UInt8(ascii: scalar) }
            func fields(_ fields: [PGServerField: String]) -> [UInt8] {
                fields.sorted { $0.key.rawValue < $1.key.rawValue }.flatMap { [$0.key.rawValue] + c($0.value) } + [0]
            }
            func copy(_ response: CopyResponse) -> [UInt8] {
                [UInt8(response.format.rawValue)] + int16(Int16(response.columnFormats.count))
                    + response.columnFormats.flatMap { int16($0.rawValue) }
            }
            switch message {
            case .authentication(let request):
                let body: [UInt8]
                switch request {
                case .ok: body = int32(0)
                case .kerberosV5: body = int32(2)
                case .cleartextPassword: body = int32(3)
                case .md5Password(let salt): body = int32(5) + [salt.0, salt.1, salt.2, salt.3]
                case .gss: body = int32(7)
                case .gssContinue(let data): body = int32(8) + data
                case .sspi: body = int32(9)
                case .sasl(let mechanisms): body = int32(10) + mechanisms.flatMap(c) + [0]
                case .saslContinue(let data): body = int32(11) + data
                case .saslFinal(let data): body = int32(12) + data
                }
                return (t("R"), body)
            case .backendKeyData(let key): return (t("K"), int32(key.processID) + key.secretKey)
            case .bindComplete: return (t("2"), [])
            case .closeComplete: return (t("3"), [])
            case .commandComplete(let tag): return (t("C"), c(tag))
            case .copyData(let bytes): return (t("d"), bytes)
            case .copyDone: return (t("c"), [])
            case .copyInResponse(let response): return (t("G"), copy(response))
            case .copyOutResponse(let response): return (t("H"), copy(response))
            case .copyBothResponse(let response): return (t("W"), copy(response))
            case .dataRow(let row): return (t("D"), row.bytes)
            case .emptyQueryResponse: return (t("I"), [])
            case .errorResponse(let values): return (t("E"), fields(values))
            case .functionCallResponse(let value): return (t("V"), value.map { int32(Int32($0.count)) + $0 } ?? int32(-1))
            case .negotiateProtocolVersion(let negotiation):
                return (
                    t("v"),
                    int32(3 << 16 | negotiation.newestMinorVersion) + int32(Int32(negotiation.unrecognizedOptions.count))
                        + negotiation.unrecognizedOptions.flatMap(c)
                )
            case .noData: return (t("n"), [])
            case .noticeResponse(let values): return (t("N"), fields(values))
            case .notificationResponse(let n): return (t("A"), int32(n.processID) + c(n.channel) + c(n.payload))
            case .parameterDescription(let oids):
                return (t("t"), int16(Int16(bitPattern: UInt16(oids.count))) + oids.flatMap { int32(Int32(bitPattern: $0)) })
            case .parameterStatus(let name, let value): return (t("S"), c(name) + c(value))
            case .parseComplete: return (t("1"), [])
            case .portalSuspended: return (t("s"), [])
            case .readyForQuery(let status): return (t("Z"), [status.rawValue])
            case .rowDescription(let columns):
                var body = int16(Int16(columns.count))
                for column in columns {
                    body += c(column.name) + int32(Int32(bitPattern: column.tableOID))
                    body += int16(column.columnAttributeNumber) + int32(Int32(bitPattern: column.dataTypeOID))
                    body += int16(column.dataTypeSize) + int32(column.typeModifier) + int16(column.format.rawValue)
                }
                return (t("T"), body)
            }
        }

        static func int16(_ value: Int16) -> [UInt8] {
            let bits = UInt16(bitPattern: value)
            return [UInt8(bits >> 8), UInt8(bits & 0xFF)]
        }

        static func int32(_ value: Int32) -> [UInt8] {
            let bits = UInt32(bitPattern: value)
            return [UInt8(bits >> 24), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits & 0xFF)]
        }
    }

    // MARK: SCRAM and Base64

    static let clientNonce = "fyko+d2lbbFgONRv9qkxdawL"
    static let serverFirst = Array("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=1".utf8)

    static func authenticationError(_ error: any Error) throws {
        let error = try pgError(error)
        try require(error.code == .authentication, "SCRAM threw \(error)")
    }

    static func scramServerFirst(_ input: [UInt8]) throws {
        let parsed: PGAuthFuzzing.ServerFirst
        do {
            parsed = try PGAuthFuzzing.parseServerFirst(input, clientNonce: Array(clientNonce.utf8))
        } catch {
            return try authenticationError(error)
        }
        try require((1...PGAuthFuzzing.maxIterations).contains(parsed.iterations), "\(parsed.iterations) iterations")
        try require(!parsed.salt.isEmpty && parsed.nonce.starts(with: clientNonce.utf8), "salt or nonce")
        let canonical = Array("r=".utf8) + parsed.nonce + Array(",s=".utf8) + PGAuthFuzzing.base64Encode(parsed.salt)
            + Array(",i=\(parsed.iterations)".utf8)
        try require(
            (try? PGAuthFuzzing.parseServerFirst(canonical, clientNonce: Array(clientNonce.utf8))) == parsed,
            "the canonical form parses differently")
    }

    static func scramServerFinal(_ input: [UInt8]) throws {
        do {
            let (_, complete) = try PGAuthFuzzing.exchange(
                password: "pencil", clientNonce: clientNonce, serverFirst: serverFirst, serverFinal: input)
            try require(complete && input.starts(with: "v=".utf8), "completed without a v= signature")
        } catch let error as Broken {
            throw error
        } catch {
            try authenticationError(error)
        }
    }

    static func base64(_ input: [UInt8]) throws {
        if let decoded = PGAuthFuzzing.base64Decode(input) {
            try require(PGAuthFuzzing.base64Encode(decoded) == input, "base64 accepted a non-canonical text")
        }
        try require(PGAuthFuzzing.base64Decode(PGAuthFuzzing.base64Encode(input)) == input, "base64 does not round-trip")
    }

    // MARK: Password file

    /// Every entry, written back escaped (as `Fuzz/Sources/FuzzSupport/PGPassFuzzing.swift`
    /// writes it), parses to itself, alone and as a whole file; a lookup with an entry's own
    /// values gives the password of the first entry that matches them.
    static func pgpass(_ input: [UInt8]) throws {
        let file = PGPassFile(contents: String(decoding: input, as: UTF8.self))
        for entry in file.entries {
            let line = pgpassLine(entry)
            let again = PGPassFile(contents: line).entries
            try require(again == [entry], "\(entry) written as \(line.debugDescription) parses as \(again)")
        }
        try require(
            PGPassFile(contents: file.entries.map(pgpassLine).joined(separator: "\n")).entries == file.entries,
            "the entries written back parse differently")
        func value(_ field: PGPassFile.Entry.Field) -> String {
            if case .value(let literal) = field { return literal }
            return "any"
        }
        for entry in file.entries {
            let (host, database, user) = (value(entry.host), value(entry.database), value(entry.user))
            let port = Int(value(entry.port)) ?? 5432
            let expected = file.entries.first {
                $0.host.matches(host.isEmpty ? "localhost" : host) && $0.port.matches(String(port))
                    && $0.database.matches(database) && $0.user.matches(user)
            }.flatMap { $0.password.isEmpty ? nil : $0.password }
            let found = file.password(host: host, port: port, database: database, user: user, defaultSocketDirectory: "/no-socket")
            try require(found == expected, "lookup \(host):\(port):\(database):\(user) gave \(found ?? "nil")")
        }
    }

    /// `\` and `:` escaped, a literal `*` as `\*`, a host beginning with `#` escaped, and a
    /// password ending in CR closed by a colon (the parser drops one CR at the end of a line).
    static func pgpassLine(_ entry: PGPassFile.Entry) -> String {
        func escaped(_ text: String) -> String {
            var result = ""
            for scalar in text.unicodeScalars {
                if scalar == "\\" || scalar == ":" { result.unicodeScalars.append("\\") }
                result.unicodeScalars.append(scalar)
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

    // MARK: Connection strings

    static let marker = "Pw~Marker~7"

    static func shows(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let needle = Array(marker.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    static func configurationError(_ error: any Error) throws {
        let error = try pgError(error)
        try require(error.code == .invalidConfiguration, "threw \(error)")
        try require(!shows(error.description), "an error shows a password: \(error)")
    }

    /// Written back (quoted, escaped, or as its description when nothing is secret), the string
    /// parses to the same settings; resolving it throws only configuration errors; no message or
    /// description shows the marker password.
    static func connectionString(_ text: String) throws {
        let parsed: PGConnectionString
        do {
            parsed = try PGConnectionString(text)
        } catch {
            return try configurationError(error)
        }
        try require(!shows(parsed.description), "a description shows a password")
        var written: [UInt8] = []
        for parameter in parsed.parameters {
            written += Array(parameter.key.utf8) + Array("='".utf8)
            for byte in parameter.value.utf8 {
                if byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\\") { written.append(UInt8(ascii: "\\")) }
                written.append(byte)
            }
            written += Array("' ".utf8)
        }
        let reparsed = try PGConnectionString(String(decoding: written, as: UTF8.self))
        try require(reparsed.parameters == parsed.parameters, "settings do not survive key=value syntax")
        if !parsed.parameters.contains(where: { ConnectionKeyword.isSecret($0.key) }) {
            let described = try? PGConnectionString(parsed.description)
            try require(described?.parameters == parsed.parameters, "the description does not parse back: \(parsed.description)")
        }
        do {
            let settings = try ConfigurationFixture.settings(text, environment: ["PGPASSWORD": marker, "PGUSER": "fuzz"])
            try require(!shows(settings.description), "a settings description shows a password")
        } catch let error as Broken {
            throw error
        } catch {
            try configurationError(error)
        }
    }
}
