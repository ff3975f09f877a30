"""The lookup's search keys on PostgreSQL: every short prefix a front desk types, in rank order.

A prefix query such as 张 or zh matches a large share of a big archive, and no index
on the name hands its matches over in the order the desk wants (tier, then most
recently seen). guests_guestsearchkey holds one row per guest and short prefix (an
edge n-gram, as a search engine keeps them) with the guest's tier and last_seen_at
copied beside it, under an index on (key, tier, last_seen_at DESC, guest_id DESC):
the first page of any short prefix is the first rows of one index range, however
many guests share it.

The rows are kept by triggers on guests_guest, in the transaction of the change,
whatever writes it: the services, bulk updates, the card import, raw SQL. A prefix
longer than the keys is selective enough for the plain indexes (guests.selectors).

Keys carry a namespace letter:
- ``h`` + the first 1-4 characters of the name, the honorific or the company, and the
  surname itself where a surname alone is a query (one character, or compound);
- ``u`` + the first 1-4 characters of a name with its middle dots and spaces taken out
  (扎西·次仁 → 扎西次仁), for a transliterated name typed without its dot;
- ``l`` + the first 1-8 letters of the full pinyin or of the initials.

SQLite (the embedded default) has none of this; the selectors fall back to the plain indexes.
"""

from .pinyin import COMPOUND_SURNAMES, NAME_DOTS

TABLE = "guests_guestsearchkey"
HAN_CHARS = 4
LETTERS = 8


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _function_sql() -> str:
    compound = "ARRAY[" + ", ".join(_literal(s) for s in sorted(COMPOUND_SURNAMES)) + "]::text[]"
    dots = _literal("[" + NAME_DOTS + " ]")
    return f"""
CREATE OR REPLACE FUNCTION guests_search_keys(
    p_name text, p_honorific text, p_company text, p_surname text, p_pinyin text, p_initials text
) RETURNS SETOF text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT key FROM (
        SELECT 'h' || left(v, n) AS key
          FROM unnest(ARRAY[p_name, p_honorific, p_company]) AS v, generate_series(1, {HAN_CHARS}) AS n
         WHERE n <= char_length(v)
        UNION ALL
        SELECT 'u' || left(u, n)
          FROM (SELECT regexp_replace(p_name, {dots}, '', 'g') AS u) AS plain, generate_series(1, {HAN_CHARS}) AS n
         WHERE u <> p_name AND n <= char_length(u)
        UNION ALL
        SELECT 'h' || p_surname
         WHERE char_length(p_surname) = 1 OR p_surname = ANY({compound})
        UNION ALL
        SELECT 'l' || left(v, n)
          FROM unnest(ARRAY[p_pinyin, p_initials]) AS v, generate_series(1, {LETTERS}) AS n
         WHERE n <= char_length(v)
    ) AS keys
$$;
"""


TRIGGER_SQL = f"""
CREATE OR REPLACE FUNCTION guests_searchkey_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM {TABLE} WHERE guest_id = OLD.id;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.name, NEW.honorific, NEW.company, NEW.surname, NEW.name_pinyin, NEW.name_initials)
           IS NOT DISTINCT FROM
           (OLD.name, OLD.honorific, OLD.company, OLD.surname, OLD.name_pinyin, OLD.name_initials) THEN
            IF (NEW.tier, NEW.last_seen_at) IS DISTINCT FROM (OLD.tier, OLD.last_seen_at) THEN
                UPDATE {TABLE} SET tier = NEW.tier, last_seen_at = NEW.last_seen_at WHERE guest_id = NEW.id;
            END IF;
            RETURN NULL;
        END IF;
        DELETE FROM {TABLE} WHERE guest_id = NEW.id;
    END IF;
    INSERT INTO {TABLE} (guest_id, key, tier, last_seen_at)
    SELECT NEW.id, key, NEW.tier, NEW.last_seen_at
      FROM guests_search_keys(NEW.name, NEW.honorific, NEW.company, NEW.surname, NEW.name_pinyin, NEW.name_initials)
           AS key;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION guests_searchkey_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {TABLE};
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS guests_searchkey_sync ON guests_guest;
CREATE TRIGGER guests_searchkey_sync
    AFTER INSERT OR DELETE OR UPDATE OF name, honorific, company, surname, name_pinyin, name_initials, tier, last_seen_at
    ON guests_guest FOR EACH ROW EXECUTE FUNCTION guests_searchkey_sync();
DROP TRIGGER IF EXISTS guests_searchkey_truncate ON guests_guest;
CREATE TRIGGER guests_searchkey_truncate
    AFTER TRUNCATE ON guests_guest FOR EACH STATEMENT EXECUTE FUNCTION guests_searchkey_truncate();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS guests_searchkey_sync ON guests_guest;
DROP TRIGGER IF EXISTS guests_searchkey_truncate ON guests_guest;
DROP FUNCTION IF EXISTS guests_searchkey_sync();
DROP FUNCTION IF EXISTS guests_searchkey_truncate();
DROP FUNCTION IF EXISTS guests_search_keys(text, text, text, text, text, text);
"""


def install(cursor) -> None:
    """Create (or replace) the key function and the triggers that keep the keys."""
    cursor.execute(_function_sql())
    cursor.execute(TRIGGER_SQL)


def uninstall(cursor) -> None:
    cursor.execute(DROP_SQL)


def rebuild(cursor, *, index: bool = True) -> int:
    """Every guest's keys made again from the guest rows, in one statement; the count of keys.

    For a load that bypassed the triggers (a bench seed with session_replication_role =
    replica) and for repair; inside a transaction. The primary key and the rank index are
    dropped for the load and built after it, which is several times faster than keeping them
    row by row (index=False leaves them alone: the migration that creates the table builds
    its index after this).
    """
    cursor.execute(f"TRUNCATE {TABLE}")
    if index:
        cursor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {TABLE}_pkey")
        cursor.execute("DROP INDEX IF EXISTS guestsearchkey_rank_idx")
    cursor.execute(
        f"INSERT INTO {TABLE} (guest_id, key, tier, last_seen_at) "
        "SELECT g.id, k.key, g.tier, g.last_seen_at FROM guests_guest AS g, "
        "LATERAL guests_search_keys(g.name, g.honorific, g.company, g.surname, g.name_pinyin, g.name_initials) "
        "AS k(key)"
    )
    count = cursor.rowcount
    if index:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (guest_id, key)")
        cursor.execute(RANK_INDEX_SQL)
    cursor.execute(f"ANALYZE {TABLE}")
    return count


RANK_INDEX_SQL = f"CREATE INDEX guestsearchkey_rank_idx ON {TABLE} (key, tier, last_seen_at DESC, guest_id DESC)"
