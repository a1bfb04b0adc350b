/// A PostgreSQL data type, identified by its OID (`pg_type.oid`).
///
/// Named constants cover the built-in types PGWire has binary codecs for (and `time`, which it
/// only names); any other OID can be wrapped with ``init(_:)``.
public struct PGDataType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The type's OID.
    public var rawValue: UInt32
    /// The type with OID `rawValue`, known to PGWire or not.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The type with OID `oid`, known to PGWire or not (for example a user-defined type's OID
    /// read from `pg_type`).
    public init(_ oid: UInt32) { self.rawValue = oid }

    /// Lets the server infer the type from the statement (OID 0 in Parse).
    public static let unspecified = PGDataType(0)
    /// `bool` (OID 16): true or false; Swift `Bool`.
    public static let bool = PGDataType(16)
    /// `bytea` (OID 17): a byte string; Swift `[UInt8]` or `Data`.
    public static let bytea = PGDataType(17)
    /// `"char"` (OID 18): a single byte, PostgreSQL's internal one-character type (not `char(n)`,
    /// which is ``bpchar``); read as a one-character `String`.
    public static let char = PGDataType(18)
    /// `name` (OID 19): a 63-byte identifier used in the system catalogs; read as a `String`.
    public static let name = PGDataType(19)
    /// `int8` (`bigint`, OID 20): an 8-byte integer; Swift `Int64` or `Int`.
    public static let int8 = PGDataType(20)
    /// `int2` (`smallint`, OID 21): a 2-byte integer; Swift `Int16`.
    public static let int2 = PGDataType(21)
    /// `int4` (`integer`, OID 23): a 4-byte integer; Swift `Int32`.
    public static let int4 = PGDataType(23)
    /// `text` (OID 25): a string of any length; Swift `String`, which is always sent as this type.
    public static let text = PGDataType(25)
    /// `oid` (OID 26): an unsigned 4-byte object identifier; Swift `UInt32`.
    public static let oid = PGDataType(26)
    /// `json` (OID 114): JSON kept as the text it was written as; Swift `PGJSON`, `PGRawJSON` or
    /// `String`.
    public static let json = PGDataType(114)
    /// `float4` (`real`, OID 700): a 4-byte floating-point number; Swift `Float`.
    public static let float4 = PGDataType(700)
    /// `float8` (`double precision`, OID 701): an 8-byte floating-point number; Swift `Double`.
    public static let float8 = PGDataType(701)
    /// `unknown` (OID 705): the type of a string literal the server has not resolved (for example
    /// `SELECT 'abc'`); read as a `String`.
    public static let unknown = PGDataType(705)
    /// `bpchar` (`char(n)`, OID 1042): a blank-padded fixed-length string; read as a `String`,
    /// padding included.
    public static let bpchar = PGDataType(1042)
    /// `varchar` (`character varying`, OID 1043): a string with an optional length limit; read as a
    /// `String`.
    public static let varchar = PGDataType(1043)
    /// `date` (OID 1082): a calendar day without time of day; Swift `PGDate`.
    public static let date = PGDataType(1082)
    /// `time` (`time without time zone`, OID 1083): a time of day. PGWire has no Swift type for it:
    /// select it cast to `text` to read it as a `String`.
    public static let time = PGDataType(1083)
    /// `timestamp` (`timestamp without time zone`, OID 1114): a date and time with no time zone;
    /// Swift `PGLocalTimestamp`.
    public static let timestamp = PGDataType(1114)
    /// `timestamptz` (`timestamp with time zone`, OID 1184): an instant, stored as UTC; Swift
    /// `PGTimestamp` or `Date`.
    public static let timestamptz = PGDataType(1184)
    /// `interval` (OID 1186): a span of months, days and microseconds; Swift `PGInterval`.
    public static let interval = PGDataType(1186)
    /// `numeric` (OID 1700): an exact decimal number of arbitrary precision; Swift `PGNumeric` or
    /// `Decimal`.
    public static let numeric = PGDataType(1700)
    /// `uuid` (OID 2950): a 16-byte universally unique identifier; Swift `UUID`.
    public static let uuid = PGDataType(2950)
    /// `jsonb` (OID 3802): JSON stored in PostgreSQL's decomposed binary form; Swift `PGJSON`,
    /// `PGRawJSON` or `String`.
    public static let jsonb = PGDataType(3802)
    /// `xid8` (OID 5069): a 64-bit transaction ID that does not wrap around; Swift
    /// `PGTransactionID` or `UInt64`.
    public static let xid8 = PGDataType(5069)

    /// `bool[]` (OID 1000): an array of ``bool``; Swift `[Bool]`.
    public static let boolArray = PGDataType(1000)
    /// `bytea[]` (OID 1001): an array of ``bytea``; Swift `[[UInt8]]` or `[Data]`.
    public static let byteaArray = PGDataType(1001)
    /// `"char"[]` (OID 1002): an array of `"char"`; Swift `[String]`.
    public static let charArray = PGDataType(1002)
    /// `name[]` (OID 1003): an array of ``name``; Swift `[String]`.
    public static let nameArray = PGDataType(1003)
    /// `int2[]` (OID 1005): an array of ``int2``; Swift `[Int16]`.
    public static let int2Array = PGDataType(1005)
    /// `int4[]` (OID 1007): an array of ``int4``; Swift `[Int32]`.
    public static let int4Array = PGDataType(1007)
    /// `text[]` (OID 1009): an array of ``text``; Swift `[String]`.
    public static let textArray = PGDataType(1009)
    /// `bpchar[]` (OID 1014): an array of ``bpchar``; Swift `[String]`.
    public static let bpcharArray = PGDataType(1014)
    /// `varchar[]` (OID 1015): an array of ``varchar``; Swift `[String]`.
    public static let varcharArray = PGDataType(1015)
    /// `int8[]` (OID 1016): an array of ``int8``; Swift `[Int64]` or `[Int]`.
    public static let int8Array = PGDataType(1016)
    /// `float4[]` (OID 1021): an array of ``float4``; Swift `[Float]`.
    public static let float4Array = PGDataType(1021)
    /// `float8[]` (OID 1022): an array of ``float8``; Swift `[Double]`.
    public static let float8Array = PGDataType(1022)
    /// `oid[]` (OID 1028): an array of ``oid``; Swift `[UInt32]`.
    public static let oidArray = PGDataType(1028)
    /// `timestamp[]` (OID 1115): an array of ``timestamp``; Swift `[PGLocalTimestamp]`.
    public static let timestampArray = PGDataType(1115)
    /// `date[]` (OID 1182): an array of ``date``; Swift `[PGDate]`.
    public static let dateArray = PGDataType(1182)
    /// `timestamptz[]` (OID 1185): an array of ``timestamptz``; Swift `[PGTimestamp]` or `[Date]`.
    public static let timestamptzArray = PGDataType(1185)
    /// `interval[]` (OID 1187): an array of ``interval``; Swift `[PGInterval]`.
    public static let intervalArray = PGDataType(1187)
    /// `numeric[]` (OID 1231): an array of ``numeric``; Swift `[PGNumeric]` or `[Decimal]`.
    public static let numericArray = PGDataType(1231)
    /// `json[]` (OID 199): an array of ``json``; Swift `[PGJSON]`, `[PGRawJSON]` or `[String]`.
    public static let jsonArray = PGDataType(199)
    /// `uuid[]` (OID 2951): an array of ``uuid``; Swift `[UUID]`.
    public static let uuidArray = PGDataType(2951)
    /// `jsonb[]` (OID 3807): an array of ``jsonb``; Swift `[PGJSON]`, `[PGRawJSON]` or `[String]`.
    public static let jsonbArray = PGDataType(3807)
    /// `xid8[]` (OID 271): an array of ``xid8``; Swift `[PGTransactionID]` or `[UInt64]`.
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
