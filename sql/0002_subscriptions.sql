-- PGEventStore schema, version 2: subscriptions (checkpoints per share, filters, parked events).
--
-- Apply by hand as 0001 says (the store's schema first on the search_path, in one transaction).

-- A subscription's checkpoint, one row per share (partition) of it: a plain subscription has
-- one share, a consumer group as many as it was created with. A share holds the streams whose
-- name hashes into it, so the events of one stream always belong to one share, and one member
-- at a time handles a share (an advisory lock), which keeps each stream's order.
-- (transaction_id, position) is the last place in the global order this share has handled: the
-- subscription resumes after it. A subscription that found nothing more below the barrier
-- records (barrier, 0): every transaction below the barrier is behind it.
-- The filter is kept here so that another process (`pgevents subscriptions`, `status`) can
-- count the events a subscription has still to handle.
ALTER TABLE subscription_checkpoints DROP CONSTRAINT subscription_checkpoints_pkey;
ALTER TABLE subscription_checkpoints
    ADD COLUMN partition_index integer NOT NULL DEFAULT 0,
    ADD COLUMN partition_count integer NOT NULL DEFAULT 1,
    ADD COLUMN categories text[] NOT NULL DEFAULT '{}',
    ADD COLUMN streams text[] NOT NULL DEFAULT '{}',
    ADD COLUMN event_types text[] NOT NULL DEFAULT '{}',
    ADD COLUMN events_handled bigint NOT NULL DEFAULT 0,
    ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD CHECK (partition_count >= 1 AND partition_index >= 0 AND partition_index < partition_count);
ALTER TABLE subscription_checkpoints ADD PRIMARY KEY (subscription, partition_index);

-- Events a subscription's handler failed on again and again, set aside so that the rest of the
-- log can be handled (the checkpoint moved past them). The event itself stays in `events`.
CREATE TABLE subscription_parked (
    subscription text NOT NULL,
    position bigint NOT NULL,
    transaction_id xid8 NOT NULL,
    event_id uuid NOT NULL,
    stream_name text COLLATE "C" NOT NULL,
    event_type text NOT NULL,
    attempts integer NOT NULL,
    error text NOT NULL,
    parked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription, position)
);

-- Raised by a checkpoint save that found fewer of its shares where it left them than it
-- moves (a reset, or a runner that took a share over), inside the saving statement, so that
-- an exactly-once batch sent with its COMMIT in one round trip rolls back instead of
-- committing. SQLSTATE PGE02.
CREATE FUNCTION require_checkpoints_moved(subscription text, expected bigint, moved bigint)
RETURNS bigint
LANGUAGE plpgsql
AS $$
BEGIN
    IF moved <> expected THEN
        RAISE EXCEPTION 'the checkpoint of subscription % moved under its runner (% of % shares where it left them)',
            subscription, moved, expected
            USING ERRCODE = 'PGE02';
    END IF;
    RETURN moved;
END;
$$;

INSERT INTO schema_migrations (version, name) VALUES (2, 'subscriptions');
