"""The query log's schema, as numbered migrations; `PRAGMA user_version` is the number applied.

A migration is a list of SQL statements run in one transaction together with the new
user_version, so a crash mid-migration leaves the previous version intact. Never edit a
released migration: add the next one.
"""

from __future__ import annotations

import sqlite3

# v1: the three tables of the first design (queries, feedback, selections).
V1 = [
    """
    CREATE TABLE queries (
        id          INTEGER PRIMARY KEY,
        query_id    TEXT NOT NULL UNIQUE,      -- generated before the write (callback data)
        ts          TEXT NOT NULL,             -- UTC, YYYY-MM-DDTHH:MM:SS.mmmZ (sorts as time)
        channel     TEXT NOT NULL,             -- telegram | cli
        chat_type   TEXT,                      -- private | group | supergroup | channel
        user_ref    TEXT,                      -- HMAC-SHA256 of the platform user id, never the id
        lang        TEXT NOT NULL,
        region      TEXT,
        text        TEXT NOT NULL,             -- masked, truncated
        normalized  TEXT NOT NULL,             -- masked engine normalization
        status      TEXT NOT NULL,             -- answer | clarify | fallback
        entry_id    TEXT,
        score       REAL NOT NULL,
        suggestions TEXT NOT NULL DEFAULT '[]', -- JSON list of the entry ids offered
        latency_ms  REAL NOT NULL
    )
    """,
    "CREATE INDEX queries_ts ON queries(ts)",
    # Only the unanswered ~quarter of the log: the staff's to-do list reads these.
    "CREATE INDEX queries_unanswered ON queries(ts) WHERE status IN ('fallback', 'clarify')",
    """
    CREATE TABLE feedback (
        id       INTEGER PRIMARY KEY,
        query_id TEXT NOT NULL REFERENCES queries(query_id) ON DELETE CASCADE,
        helpful  INTEGER NOT NULL CHECK (helpful IN (0, 1)),
        ts       TEXT NOT NULL
    )
    """,
    "CREATE INDEX feedback_query ON feedback(query_id)",
    "CREATE INDEX feedback_ts ON feedback(ts)",
    """
    CREATE TABLE selections (
        id       INTEGER PRIMARY KEY,
        query_id TEXT NOT NULL REFERENCES queries(query_id) ON DELETE CASCADE,
        entry_id TEXT NOT NULL,
        ts       TEXT NOT NULL
    )
    """,
    "CREATE INDEX selections_query ON selections(query_id)",
    "CREATE INDEX selections_ts ON selections(ts)",
]

# v2: what the Telegram front end needs: why a question fell back (reason) and its topic;
# feedback names the entry it rates (a clarify can lead to a picked entry) and counts once
# per query and entry; user preferences; refused staff commands; a meta table.
V2 = [
    "ALTER TABLE queries ADD COLUMN reason TEXT",
    "ALTER TABLE queries ADD COLUMN topic TEXT",
    "ALTER TABLE feedback ADD COLUMN entry_id TEXT",
    # Old feedback rates the last picked entry, else the entry answered.
    """
    UPDATE feedback SET entry_id = COALESCE(
        (SELECT s.entry_id FROM selections s
          WHERE s.query_id = feedback.query_id ORDER BY s.id DESC LIMIT 1),
        (SELECT q.entry_id FROM queries q WHERE q.query_id = feedback.query_id))
    """,
    # One vote per query and entry: the latest wins (a user tapping twice counts once).
    "DELETE FROM feedback WHERE id NOT IN "
    "(SELECT MAX(id) FROM feedback GROUP BY query_id, entry_id)",
    "DROP INDEX feedback_query",
    "CREATE UNIQUE INDEX feedback_once ON feedback(query_id, entry_id)",
    "CREATE INDEX feedback_entry ON feedback(entry_id, helpful)",
    """
    CREATE TABLE prefs (
        user_ref TEXT PRIMARY KEY,
        lang     TEXT,
        region   TEXT,
        updated  TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE denied (
        id       INTEGER PRIMARY KEY,
        ts       TEXT NOT NULL,
        user_ref TEXT,
        command  TEXT NOT NULL
    )
    """,
    "CREATE INDEX denied_ts ON denied(ts)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
]

# v3: daily counts kept by triggers, so `stats` and `top` read a few thousand rows instead
# of sorting a million (2 s -> 0.1 s at 1M questions). NULLs are stored as '' because
# they may not be part of a primary key. Queries are never updated, only inserted/deleted.
_DAILY_KEY = "day, status, topic, region, lang, entry_id"
V3 = [
    f"""
    CREATE TABLE daily (
        day        TEXT NOT NULL,              -- UTC day of the question, YYYY-MM-DD
        status     TEXT NOT NULL,
        topic      TEXT NOT NULL,              -- '' for none
        region     TEXT NOT NULL,              -- '' for none
        lang       TEXT NOT NULL,
        entry_id   TEXT NOT NULL,              -- '' for none
        n          INTEGER NOT NULL,
        latency_ms REAL NOT NULL,              -- sum
        PRIMARY KEY ({_DAILY_KEY})
    ) WITHOUT ROWID
    """,
    f"""
    INSERT INTO daily ({_DAILY_KEY}, n, latency_ms)
    SELECT substr(ts, 1, 10), status, COALESCE(topic, ''), COALESCE(region, ''), lang,
           COALESCE(entry_id, ''), COUNT(*), SUM(latency_ms)
    FROM queries GROUP BY 1, 2, 3, 4, 5, 6
    """,
    f"""
    CREATE TRIGGER queries_daily_insert AFTER INSERT ON queries BEGIN
        INSERT INTO daily ({_DAILY_KEY}, n, latency_ms)
        VALUES (substr(NEW.ts, 1, 10), NEW.status, COALESCE(NEW.topic, ''),
                COALESCE(NEW.region, ''), NEW.lang, COALESCE(NEW.entry_id, ''), 1,
                NEW.latency_ms)
        ON CONFLICT ({_DAILY_KEY})
        DO UPDATE SET n = n + 1, latency_ms = latency_ms + excluded.latency_ms;
    END
    """,
    """
    CREATE TRIGGER queries_daily_delete AFTER DELETE ON queries BEGIN
        UPDATE daily SET n = n - 1, latency_ms = latency_ms - OLD.latency_ms
        WHERE day = substr(OLD.ts, 1, 10) AND status = OLD.status
          AND topic = COALESCE(OLD.topic, '') AND region = COALESCE(OLD.region, '')
          AND lang = OLD.lang AND entry_id = COALESCE(OLD.entry_id, '');
    END
    """,
]

# v4: the human handoff (bot.store.tickets). A ticket is pseudonymous like everything else
# (user_ref), but it must also keep the resident's raw chat id to deliver staff replies:
# that id is never shown to staff and is erased (set to NULL) when the ticket closes.
# Text is masked before it is written. ticket_posts maps every message the bot posted in
# the staff group to its ticket, so a reply to any of them finds it.
V4 = [
    """
    CREATE TABLE tickets (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,  -- the ticket number people see
        user_ref       TEXT,                   -- HMAC of the resident's user id
        chat_id        INTEGER,                -- resident's private chat while open, then NULL
        lang           TEXT NOT NULL,
        region         TEXT,
        state          TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
        question       TEXT NOT NULL,          -- masked
        suggested      TEXT NOT NULL DEFAULT '', -- what the bot would have suggested
        query_id       TEXT,                   -- the question that led here, if any
        opened         TEXT NOT NULL,
        first_response TEXT,                   -- first staff reply delivered
        last_activity  TEXT NOT NULL,
        closed         TEXT,
        closed_by      TEXT,                   -- resident | staff | idle | unavailable
        claimed_by     TEXT,                   -- HMAC of the staff member's id
        rating         INTEGER CHECK (rating IN (0, 1))
    )
    """,
    # One open ticket per resident.
    "CREATE UNIQUE INDEX tickets_open_chat ON tickets(chat_id) WHERE state = 'open'",
    "CREATE INDEX tickets_opened ON tickets(opened)",
    "CREATE INDEX tickets_idle ON tickets(last_activity) WHERE state = 'open'",
    """
    CREATE TABLE ticket_messages (
        id         INTEGER PRIMARY KEY,
        ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
        ts         TEXT NOT NULL,
        direction  TEXT NOT NULL CHECK (direction IN ('in', 'out')),  -- in: from the resident
        kind       TEXT NOT NULL,              -- text | photo | document
        text       TEXT NOT NULL               -- masked (a caption for media)
    )
    """,
    "CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, id)",
    """
    CREATE TABLE ticket_posts (
        chat_id    INTEGER NOT NULL,           -- the staff group
        message_id INTEGER NOT NULL,
        ticket_id  INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
        PRIMARY KEY (chat_id, message_id)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE faq_suggestions (
        id        INTEGER PRIMARY KEY,
        ts        TEXT NOT NULL,
        ticket_id INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
        lang      TEXT NOT NULL,
        region    TEXT,
        question  TEXT NOT NULL,               -- masked
        answer    TEXT NOT NULL,               -- the staff answer, masked
        staff_ref TEXT                         -- HMAC of who suggested it
    )
    """,
    "CREATE INDEX faq_suggestions_ts ON faq_suggestions(ts)",
]

# v5: the staff console (bot/console, SQL in bot.store.console). Sign-in nonces are used
# once; sessions are kept server-side by the SHA-256 of their cookie; dismissed unanswered
# groups and every FAQ change made through the console say who (a staff member's Telegram
# id: staff are accountable, residents stay pseudonymous) and when. The index serves the
# entry page and the question search by entry.
V5 = [
    """
    CREATE TABLE console_nonces (
        nonce    TEXT PRIMARY KEY,             -- from a sign-in link; a row means it was used
        staff_id INTEGER NOT NULL,
        used     TEXT NOT NULL,
        expires  TEXT NOT NULL                 -- the link's expiry: rows after it may go
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE console_sessions (
        token_hash TEXT PRIMARY KEY,           -- SHA-256 of the cookie, never the cookie
        staff_id   INTEGER NOT NULL,
        csrf       TEXT NOT NULL,
        created    TEXT NOT NULL,
        last_seen  TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE console_dismissed (
        group_key TEXT PRIMARY KEY,            -- bot.staff.clusters.Group.key
        example   TEXT NOT NULL,               -- masked, as shown when it was dismissed
        staff_id  INTEGER NOT NULL,
        ts        TEXT NOT NULL
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE faq_changes (
        id       INTEGER PRIMARY KEY,
        ts       TEXT NOT NULL,
        staff_id INTEGER NOT NULL,
        entry_id TEXT NOT NULL,
        file     TEXT NOT NULL,
        diff     TEXT NOT NULL                 -- unified diff of the file
    )
    """,
    "CREATE INDEX queries_entry ON queries(entry_id, ts) WHERE entry_id IS NOT NULL",
]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    tuple(V1), tuple(V2), tuple(V3), tuple(V4), tuple(V5))
LATEST = len(MIGRATIONS)


def pending(current: int) -> list[tuple[int, tuple[str, ...]]]:
    """The migrations after version `current`, numbered from 1."""
    return [(n, MIGRATIONS[n - 1]) for n in range(current + 1, LATEST + 1)]


def apply_sync(conn: sqlite3.Connection, upto: int = LATEST) -> int:
    """Migrate a plain sqlite3 connection (autocommit) to version `upto` (tests, bench)."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for n, statements in pending(current):
        if n > upto:
            break
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql in statements:
                conn.execute(sql)
            conn.execute(f"PRAGMA user_version = {int(n)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        current = n
    return current
