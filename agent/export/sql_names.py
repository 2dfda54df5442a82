"""PostgreSQL names and literals for the SQL export: design names made into identifiers that always work.

A design names things with hyphens, dots, capitals and any length; PostgreSQL identifiers are cut at 63 bytes
(silently, so two long names can become one) and some words are reserved. Every identifier the export writes
comes from a `Namespace`, which sanitises, shortens with a stable hash, and keeps names distinct within the
PostgreSQL namespace they share (relations of one schema: tables, indexes and the indexes behind constraints).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1 in a stock PostgreSQL build

# Key words PostgreSQL reserves for table and column names: categories R and T of pg_get_keywords() in
# PostgreSQL 15 (`SELECT word FROM pg_get_keywords() WHERE catcode IN ('R', 'T')`); tests compare this with a
# live server. Unquoted, each of these fails as a table or column name.
# fmt: off
RESERVED_WORDS = frozenset({
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization", "binary",
    "both", "case", "cast", "check", "collate", "collation", "column", "concurrently", "constraint", "create",
    "cross", "current_catalog", "current_date", "current_role", "current_schema", "current_time",
    "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
    "except", "false", "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group", "having", "ilike",
    "in", "initially", "inner", "intersect", "into", "is", "isnull", "join", "lateral", "leading", "left", "like",
    "limit", "localtime", "localtimestamp", "natural", "not", "notnull", "null", "offset", "on", "only", "or",
    "order", "outer", "overlaps", "placing", "primary", "references", "returning", "right", "select",
    "session_user", "similar", "some", "symmetric", "table", "tablesample", "then", "to", "trailing", "true",
    "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with",
})
# fmt: on

_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_HASH_CHARS = 8


def sanitise(name: str) -> str:
    """A lower-case snake_case form of a design name: letters, digits and underscores, never empty.

    `order-service` becomes `order_service`, `OrderSaga` becomes `order_saga`; accents are dropped and anything
    else becomes an underscore. A name that starts with a digit gets a leading `t_` so it reads as a name.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)  # camelCase and PascalCase split at the capital
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not text:
        return "t_unnamed"
    if text[0].isdigit():
        text = "t_" + text
    return text


def shorten(name: str, limit: int = MAX_IDENTIFIER_BYTES) -> str:
    """The name cut to ``limit`` bytes, ending in a hash of the whole name so cut names stay distinct."""
    if len(name.encode("utf-8")) <= limit:
        return name
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    head = name.encode("utf-8")[: limit - _HASH_CHARS - 1].decode("utf-8", "ignore").rstrip("_")
    return f"{head}_{digest}"


def quote_ident(name: str) -> str:
    """The identifier as SQL text: bare when PostgreSQL reads it back unchanged, double-quoted otherwise."""
    if _PLAIN.match(name) and name not in RESERVED_WORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A standard SQL string literal (standard_conforming_strings is on by default since PostgreSQL 9.1)."""
    cleaned = text.replace("\x00", "")
    return "'" + cleaned.replace("'", "''") + "'"


def comment_text(text: str) -> str:
    """Design prose as one comment line: whitespace and control characters folded into single spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


class Namespace:
    """Identifiers that must differ from each other: the schemas of an export, or the relations of one schema.

    ``claim`` turns a wanted name into one that is sanitised, at most 63 bytes and not yet taken here; the same
    wanted name claimed twice gets a numbered second name, so a collision never merges two tables.
    """

    def __init__(self, reserved: tuple[str, ...] = ()) -> None:
        self._taken: set[str] = set(reserved)

    def claim(self, *parts: str) -> str:
        base = shorten("_".join(sanitise(p) for p in parts if p.strip()) or sanitise(""))
        name, counter = base, 1
        while name in self._taken:
            counter += 1
            suffix = f"_{counter}"
            name = shorten(base, MAX_IDENTIFIER_BYTES - len(suffix)) + suffix
        self._taken.add(name)
        return name

    def __contains__(self, name: object) -> bool:
        return name in self._taken
