import Foundation
import Testing

/// PGWire and PGEventStore import only FoundationEssentials, so that an app linking them needs
/// neither libFoundation.so nor ICU: full Foundation appears only as the `#else` of
/// `#if canImport(FoundationEssentials)`, and FoundationInternationalization never.
@Suite struct FoundationImportsTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources").standardized

    @Test(arguments: ["PGWire", "PGEventStore"])
    func onlyFoundationEssentials(library: String) throws {
        let folder = Self.sources.appendingPathComponent(library)
        let enumerator = try #require(FileManager.default.enumerator(atPath: folder.path))
        var files = 0
        for case let path as String in enumerator where path.hasSuffix(".swift") {
            files += 1
            let text = try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            for (index, line) in lines.enumerated() {
                let words = line.split(separator: " ")
                guard let importIndex = words.firstIndex(of: "import"), importIndex + 1 < words.count else { continue }
                let module = words[importIndex + 1]
                #expect(module != "FoundationInternationalization", "\(library)/\(path):\(index + 1)")
                if module == "Foundation" {
                    #expect(index > 0 && lines[index - 1] == "#else", "\(library)/\(path):\(index + 1): \(line)")
                    #expect(lines.contains("#if canImport(FoundationEssentials)"), "\(library)/\(path)")
                }
            }
        }
        #expect(files > 10)
    }
}
