"""What every tool, prompt and resource of one server shares: the workspace and the memory database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archassist.tools.workspace import Workspace

if TYPE_CHECKING:
    from archassist.agent.memory import MemoryStore
    from archassist.agent.model.precedents import Precedent

PRECEDENT_LIMIT = 5


@dataclass(frozen=True)
class ServerState:
    workspace: Workspace
    db: Path | None = None

    @contextmanager
    def memory(self, *, readonly: bool) -> Iterator[MemoryStore]:
        """The memory database, opened for one operation and closed after it. SQLite connections belong to the
        thread that opened them, so open, use and close inside the same worker thread."""
        from archassist.agent.memory import open_store

        store = open_store(self.db, readonly=readonly)
        try:
            yield store
        finally:
            store.close()

    def precedents(self, target: str, limit: int = PRECEDENT_LIMIT) -> list[Precedent]:
        """Accepted decisions relevant to a target; an empty list when the memory holds none yet."""
        from archassist.agent.memory import precedents_for_brief

        with self.memory(readonly=True) as store:
            return precedents_for_brief(store, target, limit)
