#!/usr/bin/env python3
"""PGBench's Python COPY contenders: psycopg 3 binary COPY (write_row) and asyncpg binary COPY
(copy_records_to_table), writing the rows PGBench wrote to a file, one transaction per batch.

    copy_append.py psycopg|asyncpg ROWS_FILE BATCH_SIZE

The connection comes from the environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), as
PGBench sets it. Prints one JSON line: rows, wall seconds, this process's CPU seconds and the
serving backend's CPU seconds (from /proc, as PGBench's Measure.swift reads it; null when the
server runs elsewhere). Loading the file and building the Python values is not timed.
"""
import json
import os
import resource
import sys
import time
import uuid

COLUMNS = ["event_id", "stream_id", "stream_version", "event_type", "payload", "metadata"]
TYPES = ["uuid", "text", "int8", "text", "jsonb", "jsonb"]


def load(path, batch_size):
    """The rows, cut into batches: (UUID, stream, version, type, payload text, metadata text)."""
    batches, batch = [], []
    with open(path, encoding="utf-8") as rows:
        for line in rows:
            event_id, stream, version, event_type, payload, metadata = line.rstrip("\n").split("\t")
            batch.append((uuid.UUID(event_id), stream, int(version), event_type, payload, metadata))
            if len(batch) == batch_size:
                batches.append(batch)
                batch = []
    if batch:
        batches.append(batch)
    return batches


def process_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_cpu(pid):
    """utime + stime of /proc/<pid>/stat in seconds, or None if unreadable (a remote server)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(pid, body):
    """Runs body() and returns its cost, measured like PGBench's Measure.run."""
    server_before, cpu_before, start = backend_cpu(pid), process_cpu(), time.monotonic()
    rows = body()
    wall = time.monotonic() - start
    cpu = process_cpu() - cpu_before
    server_after = backend_cpu(pid)
    server = None if server_before is None or server_after is None else server_after - server_before
    return {"rows": rows, "wall": wall, "client_cpu": cpu, "server_cpu": server}


def run_psycopg(batches):
    import psycopg
    from psycopg.types.json import Jsonb

    # The JSON is text already: dump it as it is (Jsonb's binary dumper adds the version byte).
    def as_is(text):
        return text

    rows = [[(i, s, v, t, Jsonb(p, as_is), Jsonb(m, as_is)) for (i, s, v, t, p, m) in batch] for batch in batches]
    sql = f"COPY events ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with psycopg.connect(autocommit=True) as connection:
        pid = connection.execute("SELECT pg_backend_pid()").fetchone()[0]

        def body():
            total = 0
            for batch in rows:
                with connection.transaction():
                    with connection.cursor() as cursor:
                        with cursor.copy(sql) as copy:
                            copy.set_types(TYPES)
                            for row in batch:
                                copy.write_row(row)
                        total += cursor.rowcount
            return total

        return timed(pid, body)


def run_asyncpg(batches):
    import asyncio
    import asyncpg

    async def main():
        # asyncpg reads PGHOST and friends itself.
        connection = await asyncpg.connect()
        try:
            pid = await connection.fetchval("SELECT pg_backend_pid()")
            loop = asyncio.get_running_loop()
            server_before, cpu_before, start = backend_cpu(pid), process_cpu(), loop.time()
            total = 0
            for batch in batches:
                async with connection.transaction():
                    status = await connection.copy_records_to_table("events", records=batch, columns=COLUMNS)
                total += int(status.split()[-1])
            wall = loop.time() - start
            cpu = process_cpu() - cpu_before
            server_after = backend_cpu(pid)
        finally:
            await connection.close()
        server = None if server_before is None or server_after is None else server_after - server_before
        return {"rows": total, "wall": wall, "client_cpu": cpu, "server_cpu": server}

    return asyncio.run(main())


def main():
    client, path, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    batches = load(path, batch_size)
    result = {"psycopg": run_psycopg, "asyncpg": run_asyncpg}[client](batches)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
