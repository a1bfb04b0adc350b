#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/: messages captured from a real server plus
hand-made edge cases.

Needs a PostgreSQL server on 127.0.0.1:PORT (sslmode off) where `postgres` logs in by trust,
`fuzzscram` with SCRAM-SHA-256 and `fuzzmd5` with MD5, both with the password `pencil`, and
`psql` on the PATH. Usage: Tools/make_corpus.py PORT (run from Fuzz/). The captured streams
vary a little from run to run (keys, nonces, timestamps); the seeds committed are one run's.
"""
import base64, hashlib, hmac, os, socket, struct, subprocess, sys, threading

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 55432
HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "Corpus")
written = {}
per_name = {}


def put(target, name, data):
    """Writes one seed; at most 3 per target and name, so that corpora stay small."""
    if per_name.get((target, name), 0) >= 3:
        return
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:10]
    if (target, digest) in written:
        return
    written[(target, digest)] = True
    per_name[(target, name)] = per_name.get((target, name), 0) + 1
    with open(os.path.join(folder, f"{name}-{digest}"), "wb") as f:
        f.write(data)


def split(stream):
    """Backend messages of a stream: (type, body) pairs."""
    out, i = [], 0
    while i + 5 <= len(stream):
        t = stream[i]
        (n,) = struct.unpack(">i", stream[i + 1 : i + 5])
        out.append((t, stream[i + 5 : i + 1 + n]))
        i += 1 + n
    return out


# ---- capture: a proxy between psql and the server records what the server sends ----

def proxy_capture(user, script, password="pencil"):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    received = bytearray()

    def serve():
        client, _ = listener.accept()
        server = socket.create_connection(("127.0.0.1", PORT))
        def pump(src, dst, record):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    if record:
                        received.extend(data)
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        a = threading.Thread(target=pump, args=(client, server, False))
        b = threading.Thread(target=pump, args=(server, client, True))
        a.start(); b.start(); a.join(); b.join()

    thread = threading.Thread(target=serve)
    thread.start()
    env = dict(os.environ, PGPASSWORD=password, PGSSLMODE="disable", PGGSSENCMODE="disable")
    subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(port), "-U", user, "-d", "postgres", "-f", "-"],
                   input=script.encode(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    thread.join(timeout=10)
    listener.close()
    return bytes(received)


SCRIPT = r"""
SELECT 1 AS one, NULL AS nothing, 'text'::text AS t, 1.5::numeric AS n;
SELECT * FROM generate_series(1, 3) AS g(i);
SELECT 1/0;
SELECT nosuchcolumn FROM t;
DO $$ BEGIN RAISE NOTICE 'notice with detail' USING DETAIL = 'the detail', HINT = 'a hint'; END $$;
DO $$ BEGIN RAISE WARNING 'a warning'; END $$;
LISTEN chan;
NOTIFY chan, 'payload é';
NOTIFY chan;
BEGIN;
INSERT INTO t VALUES (1, 'x');
SELECT * FROM t;
ROLLBACK;
BEGIN;
SELECT broken;
ROLLBACK;
COPY (SELECT i, 'r' || i FROM generate_series(1, 2) i) TO STDOUT;
COPY (SELECT i FROM generate_series(1, 2) i) TO STDOUT WITH (FORMAT binary);
COPY t FROM STDIN;
1	a
\.
;
SET application_name = 'fuzz';
SELECT '{"a": [1, 2.5, null]}'::jsonb, ARRAY[1, NULL, 3], now(), interval '1 year 2 days 3 seconds';
"""


def capture_streams():
    streams = []
    for user in ("fuzzscram", "fuzzmd5", "postgres"):
        streams.append((user, proxy_capture(user, SCRIPT)))
    streams.append(("badpassword", proxy_capture("fuzzscram", "SELECT 1;", password="wrong")))
    streams.append(("nouser", proxy_capture("nosuchuser", "SELECT 1;")))
    return streams


# ---- a minimal client (trust) for binary values over the extended protocol ----

def message(t, body):
    return t + struct.pack(">i", len(body) + 4) + body


def cstr(s):
    return s.encode() + b"\0"


def read_until_ready(sock):
    data = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise SystemExit("server closed")
        data.extend(chunk)
        msgs = split(bytes(data))
        if msgs and msgs[-1][0] == ord("Z") and sum(5 + len(b) for _, b in msgs) == len(data):
            return bytes(data)


def binary_values(queries):
    sock = socket.create_connection(("127.0.0.1", PORT))
    params = cstr("user") + cstr("postgres") + cstr("database") + cstr("postgres") + cstr("TimeZone") + cstr("UTC") + b"\0"
    sock.sendall(struct.pack(">ii", len(params) + 8, 196608) + params)
    read_until_ready(sock)
    results = []
    for sql in queries:
        out = message(b"P", cstr("") + cstr(sql) + struct.pack(">h", 0))
        out += message(b"B", cstr("") + cstr("") + struct.pack(">hh", 0, 0) + struct.pack(">hh", 1, 1))
        out += message(b"D", b"P" + cstr(""))
        out += message(b"E", cstr("") + struct.pack(">i", 0))
        out += message(b"S", b"")
        sock.sendall(out)
        stream = read_until_ready(sock)
        results.append((sql, stream))
    sock.sendall(message(b"X", b""))
    sock.close()
    return results


def datarow_columns(body):
    (count,) = struct.unpack(">h", body[:2])
    i, cols = 2, []
    for _ in range(count):
        (n,) = struct.unpack(">i", body[i : i + 4])
        i += 4
        if n < 0:
            cols.append(None)
        else:
            cols.append(body[i : i + n])
            i += n
    return cols


# PGValueFuzzing: byte 0 the Swift type (its index in the library's list), byte 1 the PostgreSQL
# type's index << 1 | binary. Indexes from Sources/PGWire/Types/Codecs/Fuzzing.swift.
VALUE_QUERIES = [
    ("SELECT 123.4500::numeric", [(19, 0), (20, 0), (9, 2)]),
    ("SELECT 'NaN'::numeric", [(19, 0)]),
    ("SELECT -0.000000001234::numeric", [(19, 0)]),
    ("SELECT 123456789012345678901234567890.5::numeric", [(19, 0), (20, 0)]),
    ("SELECT 'infinity'::numeric", [(19, 0)]),
    ("SELECT '2024-02-29 12:34:56.789012+00'::timestamptz", [(15, 0), (14, 0)]),
    ("SELECT '4713-01-01 00:00:00 BC'::timestamp", [(16, 0), (15, 1)]),
    ("SELECT 'infinity'::timestamptz", [(15, 0)]),
    ("SELECT '2000-01-01'::date", [(17, 0), (15, 2)]),
    ("SELECT interval '1 year 2 mons 3 days 04:05:06.789'", [(18, 0)]),
    ("SELECT interval '-178000000 years'", [(18, 0)]),
    ("SELECT ARRAY[1, NULL, 3]::int4[]", [(23, 0), (24, 1)]),
    ("SELECT ARRAY[1, 2]::int8[]", [(24, 0), (23, 1)]),
    ("SELECT ARRAY['a', NULL, 'bc']::text[]", [(25, 0)]),
    ("SELECT ARRAY[1.5, NULL]::numeric[]", [(26, 0)]),
    ("SELECT ARRAY['\\x00ff'::bytea, NULL]", [(27, 0)]),
    ("SELECT ARRAY[now(), NULL]::timestamptz[]", [(29, 0)]),
    ("SELECT ARRAY[interval '1 day']", [(30, 0)]),
    ("SELECT ARRAY[true, NULL]", [(31, 0)]),
    ("SELECT ARRAY[1.5::float8, 'NaN']", [(32, 0)]),
    ("SELECT '[1:2]={1,2}'::int4[]", [(23, 0)]),
    ("SELECT '{}'::int4[]", [(23, 0)]),
    ("SELECT '[0:1][1:2]={{1,2},{3,4}}'::int4[]", [(23, 0)]),
    ("SELECT '{\"a\": [1, 2.5, null], \"b\": \"é\"}'::jsonb", [(21, 0), (10, 6), (22, 0)]),
    ("SELECT '{\"a\": 1}'::jsonb", [(22, 0)]),
    ("SELECT '\"x\"'::json", [(21, 1), (22, 1)]),
    ("SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", [(13, 0)]),
    ("SELECT pg_current_xact_id()", [(7, 0), (6, 0)]),
    ("SELECT 1.5::float4, 2.5::float8", [(8, 0), (9, 0)]),
    ("SELECT (-32768)::int2, 2147483647::int4, (-1)::int8", [(1, 0), (2, 0), (3, 0)]),
    ("SELECT true", [(0, 0)]),
    ("SELECT 'héllo'::text", [(10, 0)]),
    ("SELECT '\\x00ff10'::bytea", [(11, 0), (12, 0)]),
    ("SELECT 26::oid", [(5, 0)]),
]


def value_seeds(results):
    for (sql, stream), (_, targets) in zip(results, VALUE_QUERIES):
        rows = [b for t, b in split(stream) if t == ord("D")]
        if not rows:
            print("no row for", sql)
            continue
        cols = datarow_columns(rows[0])
        for index, (target, typeindex) in enumerate(targets):
            col = cols[min(index, len(cols) - 1)]
            if col is None:
                continue
            put("FuzzValues", f"t{target}", bytes([target, typeindex << 1 | 1]) + col)
    # Text forms and hand-made edge cases.
    for target, typeindex, text in [
        (19, 0, b"-12.50"), (19, 0, b"NaN"), (19, 0, b"1e1000"), (18, 0, b"1 year -2 days"),
        (15, 0, b"2024-01-01 00:00:00+00"), (23, 0, b"{1,NULL,3}"), (25, 0, b'{"a,b",NULL,"\\""}'),
        (21, 0, b'{"a":1}'), (10, 0, b"\xff\xfe"),
    ]:
        put("FuzzValues", f"text{target}", bytes([target, typeindex << 1]) + text)
    # numeric with a huge weight, many digits, a bad sign; arrays with absurd dimensions.
    put("FuzzValues", "numeric-weight", bytes([19, 1]) + struct.pack(">hhHH", 1, 0x7FFF, 0, 0) + struct.pack(">h", 9999))
    put("FuzzValues", "numeric-digits", bytes([19, 1]) + struct.pack(">hhHH", 0x7FFF, 0, 0, 4))
    put("FuzzValues", "numeric-sign", bytes([19, 1]) + struct.pack(">hhHH", 1, 0, 0x1234, 0) + struct.pack(">h", 1))
    put("FuzzValues", "array-dims", bytes([23, 1]) + struct.pack(">iiIii", 1, 0, 23, 0x7FFFFFFF, 1))
    put("FuzzValues", "array-ndim", bytes([23, 1]) + struct.pack(">iiI", 6, 1, 23) + struct.pack(">ii", 2, 1) * 6)


# ---- SCRAM ----

CLIENT_NONCE = b"fyko+d2lbbFgONRv9qkxdawL"


def scram_seeds(streams):
    # The fuzz target's fixed exchange: password pencil, i=1, this nonce and salt.
    server_first = CLIENT_NONCE.join([b"r=", b"3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=1"])
    salt = base64.b64decode(b"QSXCR+Q6sek8bf92")
    salted = hashlib.pbkdf2_hmac("sha256", b"pencil", salt, 1)
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    client_first_bare = b"n=,r=" + CLIENT_NONCE
    client_final_without_proof = b"c=biws,r=" + CLIENT_NONCE + b"3rfcNHYJY1ZVvWVs7j"
    auth_message = client_first_bare + b"," + server_first + b"," + client_final_without_proof
    signature = hmac.new(server_key, auth_message, hashlib.sha256).digest()
    put("FuzzSCRAMServerFinal", "valid", b"v=" + base64.b64encode(signature))
    put("FuzzSCRAMServerFinal", "wrong", b"v=" + base64.b64encode(bytes(32)))
    put("FuzzSCRAMServerFinal", "error", b"e=invalid-proof")
    put("FuzzSCRAMServerFinal", "extension", b"v=" + base64.b64encode(signature) + b",x=ext")
    put("FuzzSCRAMServerFirst", "rfc7677", CLIENT_NONCE.join([b"r=", b"%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"]))
    put("FuzzSCRAMServerFirst", "cheap", server_first)
    put("FuzzSCRAMServerFirst", "mandatory", b"m=ext," + server_first)
    put("FuzzSCRAMServerFirst", "error", b"e=other-error")
    put("FuzzSCRAMServerFirst", "extensions", server_first + b",x=1,y=")
    put("FuzzSCRAMServerFirst", "max", CLIENT_NONCE.join([b"r=", b"a,s=AA==,i=10000000"]))
    put("FuzzSCRAMServerFirst", "over", CLIENT_NONCE.join([b"r=", b"a,s=AA==,i=10000001"]))
    for user, stream in streams:
        for t, body in split(stream):
            if t != ord("R") or len(body) < 4:
                continue
            (code,) = struct.unpack(">i", body[:4])
            if code == 11:
                # The server extends psql's 24-character nonce; put the fuzzer's nonce in its place.
                data = body[4:]
                if data.startswith(b"r="):
                    put("FuzzSCRAMServerFirst", "captured", b"r=" + CLIENT_NONCE + data[2 + 24 :])
            if code == 12:
                put("FuzzSCRAMServerFinal", "captured", body[4:])


def base64_seeds():
    for name, data in [("empty", b""), ("one", b"QQ=="), ("two", b"QUI="), ("three", b"QUJD"),
                       ("salt", b"QSXCR+Q6sek8bf92"), ("noncanonical", b"QR=="), ("pad-middle", b"QQ==QUJD"),
                       ("bad-char", b"QU*D"), ("short", b"QUJ"), ("raw", bytes(range(0, 256, 7)))]:
        put("FuzzBase64", name, data)


# ---- connection strings ----

def connection_seeds():
    kv = [
        b"host=db1,db2 port=5432,5433 dbname=app user=me password='it\\'s' sslmode=require",
        b"host = localhost port=5432 connect_timeout=10 application_name='my app'",
        b"hostaddr=127.0.0.1,::1 host=a,b target_session_attrs=read-write load_balance_hosts=random",
        b"sslmode=verify-full sslrootcert=system sslnegotiation=direct ssl_min_protocol_version=TLSv1.2 ssl_max_protocol_version=tlsv1.3",
        b"require_auth=!md5,!password keepalives_idle=30 options='-c search_path=x\\\\y'",
        b"host= port=1", b"password=a b", b"client_encoding=UTF8 gssencmode=prefer replication=off",
        b"passfile=/nonexistent/pgpass dbname=''", b"service=foo", b"sslmode=bogus", b"port=0", b"statement_timeout=5",
        b"user=\\' host=x\\ y",
        b"application_name='\\\xcc\\x81'",
    ]
    for index, text in enumerate(kv):
        put("FuzzConnectionString", f"kv{index}", bytes([index % 2 * 1]) + text)
    put("FuzzConnectionString", "uri", b"\x00postgresql://me:secret@db1:5432,db2/app?sslmode=require&connect_timeout=5")
    uris = [
        b"me:pa%40ss@[::1]:5432,host2:5433/db%20name?application_name=x&ssl=true",
        b"/app?host=/var/run/postgresql", b"%2Fvar%2Frun%2Fpostgresql/db", b"host:65535/db?target_session_attrs=any",
        b"[::1", b"h:port/db", b"h/db?x", b"h/db?a=b=c", b"u@h/%00", b"u@h/%zz", b"h,,h2:1/", b"h?ssl=false",
        b"h?sslmode=verify-ca&sslrootcert=system", b"?", b"@", b"h/db?options=-c%20x%3Dy&",
    ]
    for index, text in enumerate(uris):
        put("FuzzConnectionURI", f"uri{index}", bytes([index % 2]) + text)


# ---- backend messages ----

BODY_TARGETS = {
    ord("E"): "FuzzErrorNotice", ord("N"): "FuzzErrorNotice", ord("T"): "FuzzRowDescription",
    ord("D"): "FuzzDataRow", ord("S"): "FuzzParameterStatus", ord("K"): "FuzzBackendKeyData",
    ord("A"): "FuzzNotification", ord("R"): "FuzzAuthentication", ord("v"): "FuzzNegotiateProtocolVersion",
}


def backend_seeds(streams, value_results):
    all_messages = []
    for name, stream in streams:
        # The stream target: two bytes choosing limits and chunking, then the stream.
        put("FuzzBackendStream", f"{name}", b"\x00\x00" + stream)
        put("FuzzBackendStream", f"{name}-small-limits", b"\x01\x07" + stream[:2000])
        all_messages += split(stream)
    for sql, stream in value_results[:6]:
        put("FuzzBackendStream", "extended", b"\x00\x03" + stream)
        all_messages += split(stream)
    for t, body in all_messages:
        target = BODY_TARGETS.get(t)
        if target:
            put(target, chr(t), body)
        if t in b"GHW":
            put("FuzzCopyResponse", chr(t), bytes([b"GHW".index(t)]) + body)
        put("FuzzBackendBody", chr(t) if chr(t).isalnum() else "x", bytes([t]) + body)

    i32 = lambda v: struct.pack(">i", v)
    i16 = lambda v: struct.pack(">h", v)
    # Hand-made edge cases.
    put("FuzzAuthentication", "sasl", i32(10) + b"SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0")
    put("FuzzAuthentication", "sasl-unterminated", i32(10) + b"SCRAM-SHA-256\0")
    put("FuzzAuthentication", "md5", i32(5) + b"\x01\x02\x03\x04")
    put("FuzzAuthentication", "gss-continue", i32(8) + b"token")
    put("FuzzAuthentication", "scm", i32(6))
    put("FuzzBackendKeyData", "v32-long-key", i32(42) + bytes(range(32)))
    put("FuzzBackendKeyData", "too-long", i32(42) + bytes(257))
    put("FuzzNegotiateProtocolVersion", "options", i32(196610) + i32(2) + b"_pq_.a\0_pq_.b\0")
    put("FuzzNegotiateProtocolVersion", "count-lies", i32(196608) + i32(0x7FFFFFFF))
    put("FuzzCopyResponse", "both-binary", b"\x02\x01" + i16(2) + i16(1) + i16(1))
    put("FuzzCopyResponse", "in-text", b"\x00\x00" + i16(3) + i16(0) * 3)
    put("FuzzDataRow", "many-nulls", i16(300) + i32(-1) * 300)
    put("FuzzDataRow", "lying-count", i16(0x7FFF) + i32(1) + b"x")
    put("FuzzDataRow", "lying-length", i16(1) + i32(0x7FFFFFFF) + b"x")
    put("FuzzRowDescription", "lying-count", i16(0x7FFF) + b"a\0" + bytes(18))
    put("FuzzErrorNotice", "repeated", b"Cfirst\0Csecond\0M\xff\xfe\0\0")
    put("FuzzErrorNotice", "unterminated", b"SERROR\0Mno end")
    put("FuzzBackendBody", "param-desc", b"t" + struct.pack(">H", 2) + i32(23) + i32(25))
    put("FuzzBackendBody", "function-null", b"V" + i32(-1))
    put("FuzzBackendBody", "function-lie", b"V" + i32(100) + b"abc")
    put("FuzzBackendBody", "ready-bad", b"Zx")
    put("FuzzBackendStream", "huge-declared", b"\x00\x00D\x3f\xff\xff\xff" + bytes(100))
    put("FuzzBackendStream", "length-3", b"\x00\x05Z\x00\x00\x00\x03I")
    put("FuzzBackendStream", "unknown-type", b"\x00\x01Z\x00\x00\x00\x05I\xffabc")
    put("FuzzBackendStream", "too-large-short", b"\x01\x02S\x00\x00\x00\x20" + b"a\0" * 14)


def main():
    streams = capture_streams()
    for name, stream in streams:
        print(name, len(stream), "bytes,", len(split(stream)), "messages")
    value_results = binary_values([q for q, _ in VALUE_QUERIES])
    backend_seeds(streams, value_results)
    value_seeds(value_results)
    scram_seeds(streams)
    base64_seeds()
    connection_seeds()
    print(len(written), "seed files")


main()
