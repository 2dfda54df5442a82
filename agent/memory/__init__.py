"""The decision memory: designs and decisions in SQLite, full-text recall, precedents, MADR import/export.

Importing this package is cheap (sqlite3 only); sqlite-utils, PyYAML and the Design model load when a write,
a migration or a MADR file needs them.
"""

from archassist.agent.memory.decisions import (
    add_decision,
    add_decisions,
    get_decision,
    get_design,
    list_decisions,
    list_designs,
    record_design,
    stats,
    supersede,
)
from archassist.agent.memory.recall import precedents_for_brief, recall, similar_designs
from archassist.agent.memory.records import (
    STATUSES,
    DecisionRecord,
    DesignRecord,
    UnknownIdError,
    format_id,
    parse_id,
)
from archassist.agent.memory.store import (
    CorruptDatabaseError,
    DatabaseBusyError,
    ForeignDatabaseError,
    MemoryStore,
    MemoryStoreError,
    NewerDatabaseError,
    ReadOnlyDatabaseError,
    backup,
    open_store,
    resolve_db_path,
)

__all__ = [
    "STATUSES",
    "CorruptDatabaseError",
    "DatabaseBusyError",
    "DecisionRecord",
    "DesignRecord",
    "ForeignDatabaseError",
    "MemoryStore",
    "MemoryStoreError",
    "NewerDatabaseError",
    "ReadOnlyDatabaseError",
    "UnknownIdError",
    "add_decision",
    "add_decisions",
    "backup",
    "format_id",
    "get_decision",
    "get_design",
    "list_decisions",
    "list_designs",
    "open_store",
    "parse_id",
    "precedents_for_brief",
    "recall",
    "record_design",
    "resolve_db_path",
    "similar_designs",
    "stats",
    "supersede",
]
