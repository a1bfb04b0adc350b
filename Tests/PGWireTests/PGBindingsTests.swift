@_spi(Fuzzing) @testable import PGWire
import Testing

@Suite struct PGBindingsTests {
    struct Unencodable: PGEncodable {
        var pgDataType: PGDataType { .text }
        func encode(into buffer: inout [UInt8]) throws {
            buffer.append(contentsOf: [1, 2, 3])  // a partial write before failing
            throw PGError(.invalidArgument, "cannot encode")
        }
    }

    @Test func valuesAreKeptInBindsWireLayout() throws {
        var bindings = PGBindings()
        try bindings.append(Int32(42))
        try bindings.append(String?.none)
        try bindings.append("hi")
        #expect(bindings.count == 3)
        #expect(bindings.dataTypes == [.int4, .unspecified, .text])
        #expect(bindings.wire == [0, 0, 0, 4, 0, 0, 0, 42, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0x68, 0x69])
        #expect(bindings.values == [[0, 0, 0, 42], nil, [0x68, 0x69]])
    }

    @Test func aFailedEncodeLeavesTheBindingsAsTheyWere() throws {
        var bindings = PGBindings()
        try bindings.append(Int16(7))
        let before = bindings
        #expect(throws: PGError.self) { try bindings.append(Unencodable()) }
        #expect(bindings == before)
    }

    @Test func replaceRebuildsTheLayout() throws {
        var bindings = PGBindings()
        try bindings.append(Int64(1))
        try bindings.append("x")
        bindings.replace(at: 0, with: [0, 0, 0, 1], as: .int4)
        #expect(bindings.dataTypes == [.int4, .text])
        #expect(bindings.values == [[0, 0, 0, 1], [0x78]])
    }

    @Test func bindWithEncodedParametersMatchesTheArrayForm() throws {
        var bindings = PGBindings()
        try bindings.append(Int32(-1))
        try bindings.append(Bool?.none)
        var fromWire = FrontendMessageEncoder()
        try fromWire.bind(
            portalName: "", statementName: "s", parameterFormats: [.binary], parameterCount: bindings.count,
            encodedParameters: bindings.wire, resultFormats: [.binary])
        var fromArrays = FrontendMessageEncoder()
        try fromArrays.bind(
            portalName: "", statementName: "s", parameterFormats: [.binary], parameters: bindings.values,
            resultFormats: [.binary])
        #expect(fromWire.buffer == fromArrays.buffer)
    }
}
