-- PGEventStore, opt-in: the events table partitioned by RANGE (position).
--
-- Not a numbered migration: `migrate()` never applies it. `EventStore.partition(size:ahead:)`
-- (or `pgevents migrate --partition-size N`) applies it to a store at the latest schema version,
-- in one transaction, then calls partition_events(size, ahead). By hand, as 0001 says, then:
--   SELECT partition_events(1000000, 2);
-- A partitioned store is recognised by the table event_partitioning. Its schema version stays
-- what schema_migrations says, so `migrate()` keeps working on it; a later numbered migration
-- that touches events must work on a partitioned table too (ALTER TABLE ... ADD/ALTER COLUMN
-- and CREATE INDEX do; a UNIQUE constraint without position cannot exist there).
--
-- How the guarantees of 0001 are kept with partitions (a unique index on a partitioned table
-- must contain the partition key, so UNIQUE (event_id) and UNIQUE (stream_name, stream_version)
-- cannot stay global):
--   event ids:       the unpartitioned table event_ids (event_id PRIMARY KEY, position), filled
--                    from each INSERT or COPY into events by a statement-level trigger in the
--                    same transaction. Its key keeps the name events_event_id_key, so a reused id
--                    fails exactly as before and the client's retry check (which then looks the
--                    stored events up by id, through each partition's event_id index) is the
--                    same code for both layouts. Archived partitions leave their ids here: a
--                    reused archived id stays rejected.
--   stream versions: each append takes its streams' advisory locks and moves their heads in
--                    `streams` before it writes; the versions it writes are the ones between the
--                    old and the new head, so two writers never get the same version. What
--                    was the last line of defence stays, per partition: each partition has a
--                    UNIQUE (stream_name, stream_version) index of its own (not attached to a
--                    parent index, which would have to include position), so a duplicate that
--                    bypassed the heads is caught within a partition, not across two.

-- The layout: one row.
CREATE TABLE event_partitioning (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- Positions per partition: partition k holds [1 + k * size, 1 + (k + 1) * size).
    partition_size bigint NOT NULL CHECK (partition_size > 0),
    -- Empty partitions kept above the one the sequence is in.
    partitions_ahead integer NOT NULL CHECK (partitions_ahead > 0),
    partitioned_at timestamptz NOT NULL DEFAULT now()
);

-- Every partition the store made, attached or archived. archived_at is set when its rows were
-- written to an archive file and its table dropped, and cleared by a restore.
CREATE TABLE event_partitions (
    table_name text PRIMARY KEY,
    lower_position bigint NOT NULL UNIQUE,
    upper_position bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    CHECK (upper_position > lower_position)
);

-- Statement-level, with a transition table: one INSERT ... SELECT per append (a row trigger
-- would run a plpgsql call per event).
-- Every function here keeps the search_path it was created with (the store's schema), so that
-- it finds the store's tables whatever the calling session's path is.
CREATE FUNCTION record_event_ids() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO event_ids (event_id, position) SELECT event_id, position FROM inserted_events;
    RETURN NULL;
END;
$$;

-- A table for the partition [lower, upper), not yet attached: the same columns as events, a
-- CHECK of its bounds (so ATTACH PARTITION need not scan it) and its own unique index on
-- (stream_name, stream_version). The parent's indexes (position, (transaction_id, position),
-- event_id) are added by ATTACH. Returns the table's name.
CREATE FUNCTION create_event_partition_table(lower bigint, upper bigint) RETURNS text
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    name text := 'events_' || lower::text;
BEGIN
    EXECUTE format(
        'CREATE TABLE %I (LIKE events INCLUDING DEFAULTS, CONSTRAINT %I CHECK (position >= %s AND position < %s))',
        name, name || '_bounds', lower, upper);
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I (stream_name, stream_version)', name || '_stream_version_key', name);
    RETURN name;
END;
$$;

-- Creates and attaches the partitions missing up to partitions_ahead partitions above the one
-- holding the sequence's position (plus `upcoming` positions: an append whose batch found no
-- partition for its rows passes its size before it runs again, since it draws new positions).
-- ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on events (it blocks neither appends nor reads,
-- only other DDL) and ACCESS EXCLUSIVE on the new, empty table; creating the table as PARTITION
-- OF would take ACCESS EXCLUSIVE on events and queue behind every running append and read
-- (checked on 15.18: with an append's transaction open, CREATE TABLE ... PARTITION OF hit a 1 s
-- lock_timeout, ATTACH PARTITION went through). Returns the horizon: the position from which
-- the caller should call this again (the lower bound of the partitions_ahead-th partition from
-- the top), so that appends find their partitions made.
CREATE FUNCTION ensure_event_partitions(upcoming bigint DEFAULT 0) RETURNS bigint
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    size bigint;
    ahead integer;
    reached bigint;
    top bigint;
    name text;
BEGIN
    SELECT partition_size, partitions_ahead INTO size, ahead FROM event_partitioning;
    IF size IS NULL THEN
        RAISE EXCEPTION 'the events table of schema % is not partitioned', current_schema() USING ERRCODE = 'PGE03';
    END IF;
    -- One caller at a time per store (the others wait, then find the partitions made).
    PERFORM pg_advisory_xact_lock(hashtext('pgevents.partitions'), hashtext(current_schema()));
    reached := coalesce(pg_sequence_last_value(pg_get_serial_sequence(format('%I.events', current_schema()), 'position')), 0);
    SELECT max(upper_position) INTO top FROM event_partitions;
    top := coalesce(top, 1);
    -- The partition holding `reached` (or the first position), then `ahead` more above it.
    WHILE top <= greatest(reached, 1) + greatest(upcoming, 0) + ahead * size LOOP
        name := create_event_partition_table(top, top + size);
        EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', name, top, top + size);
        INSERT INTO event_partitions (table_name, lower_position, upper_position) VALUES (name, top, top + size);
        top := top + size;
    END LOOP;
    RETURN top - ahead * size;
END;
$$;

-- Converts the unpartitioned events table into the partitioned one: same columns, same rows,
-- same position sequence. Holds ACCESS EXCLUSIVE on events throughout and rewrites every row
-- (twice the table's size on disk until it commits): run it when appends can pause, or on a
-- new store. Returns the number of events moved.
CREATE FUNCTION partition_events(size bigint, ahead integer) RETURNS bigint
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    moved bigint;
    last_position bigint;
    lowest bigint;
    called boolean;
    sequence text;
    top bigint;
    name text;
BEGIN
    IF size IS NULL OR size < 1 OR ahead IS NULL OR ahead < 1 THEN
        RAISE EXCEPTION 'partition size and partitions ahead must be at least 1 (got %, %)', size, ahead
            USING ERRCODE = '22023';
    END IF;
    LOCK TABLE events IN ACCESS EXCLUSIVE MODE;
    sequence := pg_get_serial_sequence(format('%I.events', current_schema()), 'position');
    EXECUTE format('SELECT last_value, is_called FROM %s', sequence) INTO last_position, called;
    ALTER TABLE events RENAME TO events_unpartitioned;
    -- Frees the names the new table's key, indexes and sequence take.
    ALTER TABLE events_unpartitioned DROP CONSTRAINT events_pkey;
    ALTER TABLE events_unpartitioned DROP CONSTRAINT events_event_id_key;
    ALTER TABLE events_unpartitioned DROP CONSTRAINT events_stream_name_stream_version_key;
    DROP INDEX events_transaction_order;
    ALTER TABLE events_unpartitioned ALTER COLUMN position DROP IDENTITY;

    -- Every stored event's id, across partitions (see the top of this file).
    CREATE TABLE event_ids (
        event_id uuid NOT NULL,
        position bigint NOT NULL,
        CONSTRAINT events_event_id_key PRIMARY KEY (event_id)
    );

    CREATE TABLE events (
        position bigint GENERATED BY DEFAULT AS IDENTITY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_name text COLLATE "C" NOT NULL,
        stream_version bigint NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        data json NOT NULL,
        metadata json,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_pkey PRIMARY KEY (position)
    ) PARTITION BY RANGE (position);
    CREATE INDEX events_transaction_order ON events (transaction_id, position);
    -- For the retry check's lookup of stored events by id (one probe per partition).
    CREATE INDEX events_event_id ON events (event_id);
    sequence := pg_get_serial_sequence(format('%I.events', current_schema()), 'position');
    PERFORM setval(sequence, last_position, called);

    INSERT INTO event_partitioning (partition_size, partitions_ahead) VALUES (size, ahead);
    -- Partitions for the rows there are, from the one holding the lowest position.
    SELECT min(position) INTO lowest FROM events_unpartitioned;
    top := 1 + floor((coalesce(lowest, 1) - 1)::numeric / size)::bigint * size;
    WHILE top <= coalesce((SELECT max(position) FROM events_unpartitioned), 0) LOOP
        name := create_event_partition_table(top, top + size);
        EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', name, top, top + size);
        INSERT INTO event_partitions (table_name, lower_position, upper_position) VALUES (name, top, top + size);
        top := top + size;
    END LOOP;
    PERFORM ensure_event_partitions();

    INSERT INTO events (position, transaction_id, stream_name, stream_version, event_id, event_type, data, metadata, created_at)
    SELECT position, transaction_id, stream_name, stream_version, event_id, event_type, data, metadata, created_at
    FROM events_unpartitioned ORDER BY position;
    GET DIAGNOSTICS moved = ROW_COUNT;
    -- Straight from the old table (the ids are unique there): cheaper than the trigger's
    -- transition table of every row, which is created only after.
    INSERT INTO event_ids (event_id, position) SELECT event_id, position FROM events_unpartitioned;
    DROP TABLE events_unpartitioned;
    CREATE TRIGGER events_record_ids AFTER INSERT ON events
        REFERENCING NEW TABLE AS inserted_events FOR EACH STATEMENT EXECUTE FUNCTION record_event_ids();
    RETURN moved;
END;
$$;
