/// The columns of a result, shared by all its rows.
public final class PGColumns: RandomAccessCollection, Sendable, Equatable {
    /// Each column's description, in order.
    public let descriptions: [PGColumnDescription]
    private let indexByName: [String: Int]

    init(_ descriptions: [PGColumnDescription]) {
        self.descriptions = descriptions
        var indexByName: [String: Int] = [:]
        indexByName.reserveCapacity(descriptions.count)
        // With duplicate names the first column wins, as in libpq's PQfnumber.
        for (index, column) in descriptions.enumerated() where indexByName[column.name] == nil {
            indexByName[column.name] = index
        }
        self.indexByName = indexByName
    }

    /// The number of columns.
    public var count: Int { descriptions.count }

    /// No columns: the result of a statement that returns no rows. Shared.
    static let empty = PGColumns([])

    /// The column names, in order.
    public var names: [String] { descriptions.map(\.name) }

    /// The index of the first column named `name`.
    public func index(of name: String) -> Int? { indexByName[name] }

    /// The position of the first column: 0.
    public var startIndex: Int { 0 }
    /// One past the last column: ``count``.
    public var endIndex: Int { descriptions.count }
    /// The description of column `position`.
    public subscript(position: Int) -> PGColumnDescription { descriptions[position] }

    /// Columns are equal when their descriptions are.
    public static func == (lhs: PGColumns, rhs: PGColumns) -> Bool {
        lhs === rhs || lhs.descriptions == rhs.descriptions
    }
}

/// One row of a query result, decoded lazily: values stay as received until asked for.
///
/// ```swift
/// let id = try row.decode(Int.self, at: 0)
/// let name: String? = try row.decode(named: "name")
/// let (a, b) = try row.decode((Int, String).self)
/// ```
///
/// Rows of ``PGConnection/simpleQuery(_:)`` are in text format; read them with ``text(at:)`` or
/// decode them like any other row (every ``PGDecodable`` type reads its text format too).
public struct PGRow: Sendable, Equatable {
    /// The result's columns.
    public let columns: PGColumns
    /// The raw values, as the server sent them.
    let data: DataRow

    init(columns: PGColumns, data: DataRow) {
        self.columns = columns
        self.data = data
    }

    /// The number of values in the row.
    public var count: Int { data.count }

    /// True when the value at `index` is SQL NULL.
    public func isNull(at index: Int) -> Bool { data[index] == nil }

    /// The bytes of the value at `index` as the server sent them, or `nil` for SQL NULL. Their
    /// format is the column's ``PGColumnDescription/format``.
    public func bytes(at index: Int) -> ArraySlice<UInt8>? { data[index] }

    /// The value at `index` read as UTF-8 text, or `nil` for SQL NULL: the value itself for a
    /// column in text format (every column of ``PGConnection/simpleQuery(_:)``), and
    /// meaningless for one in binary format, which ``decode(_:at:)`` reads instead.
    public func text(at index: Int) -> String? { data.text(at: index) }

    /// Every value read as UTF-8 text (see ``text(at:)``), `nil` for SQL NULL.
    public var texts: [String?] { data.texts }

    /// Rows are equal when their columns are described alike and their values have the same bytes.
    public static func == (lhs: PGRow, rhs: PGRow) -> Bool {
        lhs.data == rhs.data && lhs.columns == rhs.columns
    }

    /// Decodes the value of column `index` as `T`. NULL decodes only into an `Optional`.
    /// - Throws: ``PGError`` with code ``PGError/Code/decoding`` naming the column, its
    ///   PostgreSQL type and `T`.
    public func decode<T: PGDecodable>(_ type: T.Type = T.self, at index: Int) throws -> T {
        guard index >= 0, index < data.count, index < columns.count else {
            throw PGError(.decoding, "column index \(index) is out of range: the row has \(data.count) columns")
        }
        let column = columns.descriptions[index]
        let dataType = PGDataType(column.dataTypeOID)
        do {
            if let bytes = data[index] {
                return try T.decode(from: bytes, type: dataType, format: column.format)
            }
            return try T.decodeNull(type: dataType)
        } catch let error as PGError {
            throw Self.locate(error, column: column.name, index: index, dataType: dataType, swiftType: T.self)
        } catch {
            throw Self.locate(
                PGError(.decoding, "\(error)"), column: column.name, index: index, dataType: dataType, swiftType: T.self)
        }
    }

    /// Decodes the value of the first column named `name` as `T`.
    public func decode<T: PGDecodable>(_ type: T.Type = T.self, named name: String) throws -> T {
        guard let index = columns.index(of: name) else {
            throw PGError(.decoding, "no column named \"\(name)\"; the columns are \(columns.names)")
        }
        return try decode(T.self, at: index)
    }

    /// Decodes the leading columns into a tuple, in order: `try row.decode((Int, String?).self)`.
    public func decode<each T: PGDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        var index = 0
        func next<Value: PGDecodable>(_ type: Value.Type) throws -> Value {
            defer { index += 1 }
            return try decode(Value.self, at: index)
        }
        return (repeat try next((each T).self))
    }

    private static func locate(
        _ error: PGError, column: String, index: Int, dataType: PGDataType, swiftType: Any.Type
    ) -> PGError {
        guard error.code == .decoding else { return error }
        var located = error
        located.message = "column \"\(column)\" (index \(index)): \(error.message)"
        located.decodingContext = PGError.DecodingContext(
            column: column, columnIndex: index, dataType: dataType, swiftType: "\(swiftType)")
        return located
    }
}
