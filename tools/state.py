"""What every tool, prompt and resource of one server shares: the workspace and the memory database."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from archassist.tools.workspace import Workspace

if TYPE_CHECKING:
    from archassist.agent.memory import MemoryStore
    from archassist.agent.model.design import Design
    from archassist.agent.model.precedents import Precedent
    from archassist.tools.models import PartsOut
    from archassist.tools.results import Link

PRECEDENT_LIMIT = 5
DRAFT_LIMIT = 32
DESIGN_URI = "archassist://designs/{id}"
DRAFT_PREFIX = "draft-"


class Drafts:
    """Designs made with ``remember: false``, kept for this server's lifetime (the most recent few) so their
    result can link to them as it links to stored ones."""

    def __init__(self, limit: int = DRAFT_LIMIT) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def add(self, design_json: str) -> str:
        key = DRAFT_PREFIX + hashlib.sha256(design_json.encode("utf-8")).hexdigest()[:16]
        with self._lock:
            self._items[key] = design_json
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)
        return key

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._items.get(key)


@dataclass(frozen=True)
class ServerState:
    workspace: Workspace
    db: Path | None = None
    drafts: Drafts = field(default_factory=Drafts)

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


NAMES_SHOWN = 100


def parts_of(design: Design) -> PartsOut:
    """What a design holds, in a few lines: service and event names (the first hundred of each), other counts."""
    from archassist.tools.models import PartsOut

    services = [s.name for s in design.services]
    events = [e.name for e in design.events]
    omitted = {key: len(names) - NAMES_SHOWN for key, names in (("services", services), ("events", events))
               if len(names) > NAMES_SHOWN}
    return PartsOut(
        services=services[:NAMES_SHOWN],
        events=events[:NAMES_SHOWN],
        topics=len(design.topics),
        consumers=len(design.consumers),
        sagas=len(design.sagas),
        projections=len(design.projections),
        decisions=len(design.decisions),
        omitted=omitted,
    )


def design_link(key: str, name: str) -> Link:
    """The link to a design resource: a memory id (``7``) or a draft key."""
    from archassist.tools.results import Link

    return Link(
        uri=DESIGN_URI.format(id=key),
        name=f"design-{key}",
        title=f"Design {name}",
        description="The full Design as JSON, ready to edit and check again with check_design.",
    )
