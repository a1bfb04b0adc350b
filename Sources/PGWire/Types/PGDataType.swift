/// A PostgreSQL data type, identified by its OID (`pg_type.oid`).
///
/// Named constants cover the built-in types PGWire has binary codecs for; any other OID can be
/// wrapped with ``init(_:)``.
public struct PGDataType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ oid: UInt32) { self.rawValue = oid }

    /// Lets the server infer the type from the statement (OID 0 in Parse).
    public static let unspecified = PGDataType(0)
    public static let bool = PGDataType(16)
    public static let bytea = PGDataType(17)
    public static let char = PGDataType(18)
    public static let name = PGDataType(19)
    public static let int8 = PGDataType(20)
    public static let int2 = PGDataType(21)
    public static let int4 = PGDataType(23)
    public static let text = PGDataType(25)
    public static let oid = PGDataType(26)
    public static let json = PGDataType(114)
    public static let float4 = PGDataType(700)
    public static let float8 = PGDataType(701)
    public static let unknown = PGDataType(705)
    public static let bpchar = PGDataType(1042)
    public static let varchar = PGDataType(1043)
    public static let date = PGDataType(1082)
    public static let time = PGDataType(1083)
    public static let timestamp = PGDataType(1114)
    public static let timestamptz = PGDataType(1184)
    public static let interval = PGDataType(1186)
    public static let numeric = PGDataType(1700)
    public static let uuid = PGDataType(2950)
    public static let jsonb = PGDataType(3802)
    public static let xid8 = PGDataType(5069)

    public static let boolArray = PGDataType(1000)
    public static let byteaArray = PGDataType(1001)
    public static let charArray = PGDataType(1002)
    public static let nameArray = PGDataType(1003)
    public static let int2Array = PGDataType(1005)
    public static let int4Array = PGDataType(1007)
    public static let textArray = PGDataType(1009)
    public static let bpcharArray = PGDataType(1014)
    public static let varcharArray = PGDataType(1015)
    public static let int8Array = PGDataType(1016)
    public static let float4Array = PGDataType(1021)
    public static let float8Array = PGDataType(1022)
    public static let oidArray = PGDataType(1028)
    public static let timestampArray = PGDataType(1115)
    public static let dateArray = PGDataType(1182)
    public static let timestamptzArray = PGDataType(1185)
    public static let intervalArray = PGDataType(1187)
    public static let numericArray = PGDataType(1231)
    public static let jsonArray = PGDataType(199)
    public static let uuidArray = PGDataType(2951)
    public static let jsonbArray = PGDataType(3807)
    public static let xid8Array = PGDataType(271)

    /// The SQL name of the built-in types above (for error messages), or `oid <n>`.
    public var description: String {
        Self.names[rawValue] ?? "oid \(rawValue)"
    }

    private static let names: [UInt32: String] = [
        0: "unspecified", 16: "bool", 17: "bytea", 18: "\"char\"", 19: "name", 20: "int8", 21: "int2",
        23: "int4", 25: "text", 26: "oid", 114: "json", 700: "float4", 701: "float8", 705: "unknown",
        1042: "bpchar", 1043: "varchar", 1082: "date", 1083: "time", 1114: "timestamp",
        1184: "timestamptz", 1186: "interval", 1700: "numeric", 2950: "uuid", 3802: "jsonb", 5069: "xid8",
        1000: "bool[]", 1001: "bytea[]", 1002: "\"char\"[]", 1003: "name[]", 1005: "int2[]", 1007: "int4[]",
        1009: "text[]", 1014: "bpchar[]", 1015: "varchar[]", 1016: "int8[]", 1021: "float4[]",
        1022: "float8[]", 1028: "oid[]", 1115: "timestamp[]", 1182: "date[]", 1185: "timestamptz[]",
        1187: "interval[]", 1231: "numeric[]", 199: "json[]", 2951: "uuid[]", 3807: "jsonb[]", 271: "xid8[]",
    ]
}
