"""The tables of the SQL export as data: columns, keys, indexes and partitions, and how they render as DDL.

Planning (which tables a service needs, `sql_plan`) and writing (this module) are apart so tests can read the
names the export chose and use them against a real PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archassist.agent.export.sql_names import comment_text, quote_ident, quote_literal


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool = True
    default: str | None = None
    identity: bool = False  # GENERATED ALWAYS AS IDENTITY
    check: str | None = None  # an expression over the column, e.g. "version >= 1"
    note: str = ""

    def sql(self) -> str:
        parts = [quote_ident(self.name), self.type]
        if self.not_null:
            parts.append("NOT NULL")
        if self.identity:
            parts.append("GENERATED ALWAYS AS IDENTITY")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.check is not None:
            parts.append(f"CHECK ({self.check})")
        return " ".join(parts)


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    where: str | None = None
    note: str = ""


@dataclass
class Table:
    """One table in one schema; every name in it is already a valid, distinct PostgreSQL identifier."""

    schema: str
    name: str
    comment: str
    columns: list[Column]
    primary_key: tuple[str, ...]
    primary_key_name: str
    uniques: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    partition_by: str | None = None  # e.g. "HASH (aggregate_id)"
    partitions: list[tuple[str, str]] = field(default_factory=list)  # (table name, FOR VALUES clause)

    @property
    def qualified(self) -> str:
        return qualified(self.schema, self.name)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def ddl(self) -> str:
        lines = [f"-- {comment_text(note)}" for note in self.notes]
        body = []
        width = max(len(quote_ident(c.name)) for c in self.columns)
        for column in self.columns:
            text = column.sql()
            pad = text.replace(quote_ident(column.name), quote_ident(column.name).ljust(width), 1)
            body.append((pad, column.note))
        body.append(
            (f"CONSTRAINT {quote_ident(self.primary_key_name)} PRIMARY KEY ({ident_list(self.primary_key)})", "")
        )
        for name, columns in self.uniques:
            body.append((f"CONSTRAINT {quote_ident(name)} UNIQUE ({ident_list(columns)})", ""))
        lines.append(f"CREATE TABLE IF NOT EXISTS {self.qualified} (")
        for position, (text, note) in enumerate(body):
            comma = "," if position < len(body) - 1 else ""
            lines.append(f"    {text}{comma}" + (f"  -- {comment_text(note)}" if note else ""))
        lines.append(")" + (f" PARTITION BY {self.partition_by}" if self.partition_by else "") + ";")
        for name, bound in self.partitions:
            lines.append(
                f"CREATE TABLE IF NOT EXISTS {qualified(self.schema, name)} PARTITION OF {self.qualified} {bound};"
            )
        lines.append(f"COMMENT ON TABLE {self.qualified} IS {quote_literal(comment_text(self.comment))};")
        for index in self.indexes:
            if index.note:
                lines.append(f"-- {comment_text(index.note)}")
            where = f" WHERE {index.where}" if index.where else ""
            lines.append(
                f"CREATE INDEX IF NOT EXISTS {quote_ident(index.name)} ON {self.qualified} "
                f"({ident_list(index.columns)}){where};"
            )
        return "\n".join(lines) + "\n"


def qualified(schema: str, name: str) -> str:
    return f"{quote_ident(schema)}.{quote_ident(name)}"


def ident_list(names: tuple[str, ...] | list[str]) -> str:
    return ", ".join(quote_ident(n) for n in names)
