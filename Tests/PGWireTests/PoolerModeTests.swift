@testable import PGWire
import Testing

/// `pooler_mode` in connection strings, and what it turns off.
@Suite struct PoolerModeTests {
    @Test func keywordInURIsAndKeyValueStrings() throws {
        let uri = try ConfigurationFixture.configuration("postgres://u@127.0.0.1:6432/db?pooler_mode=transaction")
        #expect(uri.poolerMode == .transaction)
        let keyValue = try ConfigurationFixture.configuration("host=127.0.0.1 user=u pooler_mode=transaction")
        #expect(keyValue.poolerMode == .transaction)
        #expect(try ConfigurationFixture.configuration("host=127.0.0.1 user=u pooler_mode=none").poolerMode == .none)
        #expect(try ConfigurationFixture.configuration("host=127.0.0.1 user=u").poolerMode == .none)
    }

    @Test func anUnknownModeIsAnErrorNamingTheKeyword() throws {
        let message = try #require(ConfigurationFixture.failure("host=127.0.0.1 user=u pooler_mode=statement"))
        #expect(message.contains("pooler_mode"))
        #expect(message.contains("transaction"))
    }

    @Test func transactionModeKeepsNoSession() {
        var configuration = PGConnection.Configuration(user: "u")
        #expect(configuration.hasOwnSession)
        configuration.poolerMode = .transaction
        #expect(!configuration.hasOwnSession)
        let error = configuration.sessionRequired("LISTEN")
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("pooler_mode=transaction"))
    }
}
