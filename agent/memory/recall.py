"""Recall: full-text search over decisions and designs, and the accepted precedents that shape the next design.

A user's words never reach FTS5 as syntax: the query is cut into word terms, each is quoted as an FTS5 string
(so ``AND``, ``NEAR``, ``-``, ``*``, ``:``, quotes and parentheses mean nothing), and the terms are joined with
OR so that a decision matching some of the words is still recalled, ranked by bm25 (title and tags weigh
most). A query with no usable word recalls nothing.
"""

from __future__ import annotations

import re

from archassist.agent.memory.lineage import standing
from archassist.agent.memory.records import DECISION_COLUMNS, DecisionRecord, DesignRecord, check_status
from archassist.agent.memory.records import decision_from_row as _decision_from_row
from archassist.agent.memory.store import MemoryStore
from archassist.agent.model.precedents import Precedent

# FTS5 builds one expression-tree level per OR; its limit is 256. Beyond a few dozen words bm25 gains nothing.
MAX_TERMS = 32
MAX_TERM_CHARS = 64
# Rows bm25 scores per search stage: ~3 µs each, so this bounds a recall to a few milliseconds.
SCORE_BUDGET = 2000
# bm25 column weights: title, context, decision, consequences, tags.
DECISION_WEIGHTS = "8.0, 1.0, 2.0, 1.0, 4.0"

_TERM_RE = re.compile(r"[^\W_]+")

STOPWORDS = frozenset(
    (
        "a", "about", "above", "across", "after", "again", "against", "all", "also", "am", "an",
        "and", "any", "are", "as", "at", "be", "because", "been", "before", "being", "below",
        "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down",
        "during", "each", "either", "etc", "few", "for", "from", "further", "had", "has", "have",
        "having", "he", "her", "here", "hers", "how", "i", "if", "in", "into", "is", "it", "its",
        "itself", "just", "let", "like", "may", "me", "might", "more", "most", "must", "my", "no",
        "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out",
        "over", "own", "per", "same", "she", "should", "so", "some", "such", "than", "that", "the",
        "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too",
        "under", "until", "up", "upon", "us", "very", "via", "was", "we", "were", "what", "when",
        "where", "which", "while", "who", "whom", "why", "will", "with", "within", "without",
        "would", "yet", "you", "your"
    )
)
# Words every brief for this tool contains; as precedent keys they would match every decision.
GENERIC_BRIEF_WORDS = frozenset(
    (
        "architecture", "build", "building", "design", "designing", "driven", "event", "events",
        "system", "systems", "service", "services", "platform", "application", "app", "need",
        "needs", "want", "wants", "handle", "handles", "handling", "support", "supports", "using",
        "use", "uses", "new", "based", "around"
    )
)


def query_terms(text: str, *, drop: frozenset[str] = STOPWORDS) -> list[str]:
    """The distinct word terms of ``text`` (lower-cased, in order, at most MAX_TERMS), without ``drop``
    words unless nothing else is left."""
    words: list[str] = []
    for match in _TERM_RE.finditer(text or ""):
        word = match.group(0).casefold()[:MAX_TERM_CHARS]
        if word not in words:
            words.append(word)
    kept = [w for w in words if w not in drop]
    return (kept or words)[:MAX_TERMS]


def fts_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression that is always valid: quoted terms joined with OR."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def recall(
    store: MemoryStore, query: str, *, limit: int = 10, status: str | None = None
) -> list[DecisionRecord]:
    """Decisions matching any word of ``query``, best first (bm25), each once, with its ``score`` (higher is
    better). Decisions whose own words match come first; then the decisions of designs whose name, brief,
    services or events match, marked with ``via_design``. ``status`` keeps one status only. A query with no
    usable word returns ``[]``."""
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    wanted = check_status(status) if status else None
    found = _search(store, terms, limit=limit, status=wanted)
    if len(found) < limit:
        seen = {record.id for record in found}
        for record in _through_designs(store, terms, status=wanted):
            if record.id not in seen:
                seen.add(record.id)
                found.append(record)
                if len(found) == limit:
                    break
    return found


# Designs a recall looks through for their decisions; the best ranked are enough to fill any page of results.
DESIGNS_PER_RECALL = 50
# bm25 column weights: name, brief, services, events.
DESIGN_WEIGHTS = "2.0, 1.0, 1.0, 1.0"


def _through_designs(store: MemoryStore, terms: list[str], *, status: str | None) -> list[DecisionRecord]:
    """The decisions of the designs that match ``terms``, best design first, each design's in its order."""
    if not store.exists:
        return []
    columns = ", ".join(f"d.{c.strip()}" for c in DECISION_COLUMNS.split(","))
    where = "WHERE d.status = ?" if status else ""
    params: tuple[object, ...] = (fts_query(terms), DESIGNS_PER_RECALL, *((status,) if status else ()))
    rows = store.query(
        f"""WITH hit AS (
                SELECT rowid AS design_id, bm25(designs_fts, {DESIGN_WEIGHTS}) AS rank_score
                FROM designs_fts WHERE designs_fts MATCH ? ORDER BY rank_score, rowid DESC LIMIT ?
            )
            SELECT {columns}, hit.rank_score, hit.design_id AS via
            FROM hit JOIN design_decisions AS l ON l.design_id = hit.design_id
            JOIN decisions AS d ON d.id = l.decision_id
            {where}
            ORDER BY hit.rank_score, hit.design_id DESC, l.position""",
        params,
    )
    return [_decision_from_row(row, score=-float(row["rank_score"]), via_design=int(row["via"])) for row in rows]


def _search(store: MemoryStore, terms: list[str], *, limit: int, status: str | None) -> list[DecisionRecord]:
    """bm25 search that scores at most SCORE_BUDGET rows per stage, so recall stays fast at any size.

    Scoring every row that matches a common word costs milliseconds per thousand rows, and such rows rank
    low anyway (small idf). So terms are split by document frequency (counted up to SCORE_BUDGET): rows with
    a selective term are candidates, ranked by all the terms; rows with only common terms fill up the rest.
    Within a stage that still has more than SCORE_BUDGET candidates, the newest SCORE_BUDGET are ranked. A
    database where every term is selective (any database under SCORE_BUDGET decisions) gets exact bm25.
    """
    if not store.exists:
        return []
    counts = {term: _count_capped(store, term) for term in terms}
    selective = [t for t in terms if counts[t] < SCORE_BUDGET]
    common = [t for t in terms if counts[t] >= SCORE_BUDGET]
    stages: list[tuple[str, str]] = []  # (rows to consider, expression that ranks them)
    if selective:
        ranking = fts_query(selective) if not common else f"({fts_query(selective)}) AND ({fts_query(terms)})"
        stages.append((fts_query(selective), ranking))
    if common:
        stages.append((fts_query(common), fts_query(common)))
    found: list[DecisionRecord] = []
    for candidates, ranking in stages:
        seen = {record.id for record in found}
        for record in _rank(store, candidates, ranking, limit=limit + len(seen), status=status):
            if record.id not in seen and len(found) < limit:
                found.append(record)
        if len(found) >= limit:
            break
    return found


def _count_capped(store: MemoryStore, term: str) -> int:
    rows = store.query(
        "SELECT count(*) FROM (SELECT rowid FROM decisions_fts WHERE decisions_fts MATCH ? LIMIT ?)",
        (fts_query([term]), SCORE_BUDGET),
    )
    return int(rows[0][0]) if rows else 0


def _rank(store: MemoryStore, candidates: str, ranking: str, *, limit: int, status: str | None) -> list[DecisionRecord]:
    floor_rows = store.query(
        "SELECT rowid FROM decisions_fts WHERE decisions_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (candidates, SCORE_BUDGET),
    )
    floor = int(floor_rows[0][0]) if floor_rows else 0
    columns = ", ".join(f"d.{c.strip()}" for c in DECISION_COLUMNS.split(","))
    where = "WHERE d.status = ?" if status else ""
    params: tuple[object, ...] = (ranking, floor, status, limit) if status else (ranking, floor, limit)
    rows = store.query(
        f"""WITH hits AS (
                SELECT rowid AS id, bm25(decisions_fts, {DECISION_WEIGHTS}) AS rank_score
                FROM decisions_fts WHERE decisions_fts MATCH ? AND rowid > ?
            )
            SELECT {columns}, hits.rank_score FROM hits JOIN decisions AS d ON d.id = hits.id
            {where}
            ORDER BY hits.rank_score, d.id DESC LIMIT ?""",
        params,
    )
    return [_decision_from_row(row, score=-float(row["rank_score"])) for row in rows]


def precedents_for_brief(store: MemoryStore, brief: str, limit: int = 10) -> list[Precedent]:
    """Accepted decisions relevant to ``brief``, best first, as the planner's precedents.

    Only ``accepted`` decisions count: superseded, rejected, deprecated and proposed ones never shape a
    design, and neither do decisions that cite one of those. Words every brief shares ("event-driven system ...") are ignored, and a decision recorded again
    with the same title and words by a later design is returned once.
    """
    terms = query_terms(brief, drop=STOPWORDS | GENERIC_BRIEF_WORDS)
    if not terms or limit <= 0 or not set(terms) - STOPWORDS - GENERIC_BRIEF_WORDS:
        return []
    found = _search(store, terms, limit=limit * 3, status="accepted")
    if found:
        # A decision that followed a precedent since rejected, deprecated or superseded is no precedent itself.
        in_force = standing(store.conn, {record.id: record.cites for record in found})
        found = [record for record in found if record.id in in_force]
    out: list[Precedent] = []
    seen: set[tuple[str, str]] = set()
    for record in found:
        key = (record.title.casefold(), record.decision.casefold())
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Precedent(
                id=record.ref,
                title=record.title,
                decision=record.decision,
                context=record.context,
                status=record.status,
                tags=record.tags,
                score=record.score or 0.0,
            )
        )
        if len(out) == limit:
            break
    return out


def similar_designs(store: MemoryStore, brief: str, *, limit: int = 5) -> list[DesignRecord]:
    """Stored designs whose name or brief shares words with ``brief``, best first."""
    from archassist.agent.memory.decisions import _design_from_row

    terms = query_terms(brief, drop=STOPWORDS | GENERIC_BRIEF_WORDS)
    if not terms or limit <= 0:
        return []
    rows = store.query(
        """SELECT d.id, d.name, d.brief, d.backend, d.design_json, d.created,
                  bm25(designs_fts, 2.0, 1.0) AS rank_score
           FROM designs_fts JOIN designs AS d ON d.id = designs_fts.rowid
           WHERE designs_fts MATCH ? ORDER BY rank_score, d.id DESC LIMIT ?""",
        (fts_query(terms), limit),
    )
    return [_design_from_row(row, score=-float(row["rank_score"])) for row in rows]
