import Foundation
import Testing

/// `--help` everywhere, and exit status 2 for every kind of bad command line. None of these
/// touch a server.
@Suite struct HelpAndUsageTests {
    static let commands = [
        "migrate", "append", "read", "read-all", "tail", "subscriptions", "subscription reset", "status", "bench",
        "archive", "restore",
    ]

    @Test func rootHelpDocumentsCommandsConnectionRuleAndExitCodes() async throws {
        let result = try await PGEventsProcess.run(["--help"])
        #expect(result.status == 0)
        for text in Self.commands + ["CONNECTION", "DATABASE_URL", "PGHOST", "/var/lib/pgevents", "EXIT STATUS"] {
            #expect(result.stdout.contains(text), "root help lacks \(text)")
        }
        #expect(result.stderr.isEmpty)
    }

    @Test(arguments: commands)
    func everyCommandHasHelpWithExamplesAndTheGlobalOptions(_ command: String) async throws {
        let result = try await PGEventsProcess.run(command.split(separator: " ").map(String.init) + ["--help"])
        #expect(result.status == 0)
        for text in ["EXAMPLES", "pgevents \(command)", "--url", "--schema", "--data-dir"] {
            #expect(result.stdout.contains(text), "\(command) --help lacks \(text)")
        }
    }

    @Test(arguments: [
        ["append"],  // no stream
        ["append", "s"],  // neither --type/--data nor --file
        ["append", "s", "--type", "T", "--data", "{nope"],
        ["append", "s", "--type", "T", "--data", "{}", "--metadata", "[1]"],
        ["append", "s", "--type", "T", "--data", "{}", "--event-id", "not-a-uuid"],
        ["append", "s", "--type", "T", "--data", "{}", "--expected", "sometimes"],
        ["append", "s", "--file", "x.jsonl", "--type", "T"],
        ["read", "s", "--limit", "0"],
        ["read-all", "--from", "1/2/3"],
        ["read-all", "--from", "minus"],
        ["tail", "--from", "sometime"],
        ["tail", "--limit", "0"],
        ["subscription", "reset", "view"],  // no --to
        ["subscription", "reset", "--to", "start"],  // no name
        ["subscription", "reset", "view", "--to", "1/2/3"],
        ["status", "--frobnicate"],
        ["status", "--url", "postgresql://localhost/x", "--data-dir", "/tmp/x"],
        ["bench", "--writers", "3", "--streams", "2"],
        ["migrate", "--partition-size", "0"],
        ["archive", "--before", "100"],  // no --to
        ["archive", "--before", "0", "--to", "x.pgevents"],
        ["restore"],  // no file
        ["no-such-command"],
    ])
    func badCommandLinesExitWithStatusTwo(_ arguments: [String]) async throws {
        let result = try await PGEventsProcess.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(!result.stderr.isEmpty)
        #expect(result.stdout.isEmpty)
    }

    @Test func aMalformedURLIsAUsageError() async throws {
        let result = try await PGEventsProcess.run(["status", "--url", "host=localhost port=abc"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("pgevents: error: invalid connection settings from --url"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
