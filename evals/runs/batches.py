"""Claude contestants through the Message Batches API: submit, poll with backoff, collect, map back by custom_id.

A 1,000-scenario run at one design per request would take hours of streamed calls and hit rate limits; a batch
takes every draft at once (at half the price) and answers within 24 hours, usually far sooner. The requests are
the backend's own (:mod:`archassist.agent.backends.request`), so a batched design is asked for exactly as a
streamed one. The repair loop runs over batches: after the drafts come back, every design the rules engine
still finds errors in goes into the next batch with its findings, for as many rounds as the contestant's
``repair_rounds``, keeping each design's best version as the streamed loop does.

An item that errored, expired, was canceled or did not answer with a design is that cell's recorded failure.
A batch that cannot be created or followed fails its items with the reason; a rejected key ends the run.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archassist.evals.contestants.common import Generation

if TYPE_CHECKING:
    from archassist.agent.backends.base import Usage
    from archassist.agent.model.design import Design
    from archassist.agent.model.findings import Finding
    from archassist.evals.base import Contestant, Scenario
    from archassist.evals.contestants.claude import ClaudeContestant
    from archassist.evals.runs.progress import Reporter

# The API's limits on one batch; a larger run is split into several.
MAX_BATCH_REQUESTS = 100_000
MAX_BATCH_BYTES = 200 * 1024 * 1024  # the API allows 256 MB; leave room for the JSON around the requests
ENDED = "ended"

Key = tuple[str, str, int]  # contestant name, scenario id, epoch


@dataclass(frozen=True)
class PollSettings:
    """How often to ask whether a batch has ended: ``initial_s``, then ``factor`` times longer each time, at most
    ``max_s`` apart, giving up after ``deadline_s`` (batches expire after 24 hours)."""

    initial_s: float = 10.0
    factor: float = 1.5
    max_s: float = 300.0
    deadline_s: float = 25 * 3600.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def delays(self) -> Iterator[float]:
        delay = self.initial_s
        while True:
            yield delay
            delay = min(self.max_s, delay * self.factor)


class BatchError(Exception):
    """A batch could not be created, followed or read; every item still in it fails with this message."""


@dataclass
class _Item:
    """One scenario × epoch of one Claude contestant, carried through the draft and repair batches."""

    custom_id: str
    contestant: ClaudeContestant
    scenario: Scenario
    epoch: int
    first: dict[str, Any]
    usage: Usage
    started: float
    design: Design | None = None
    findings: list[Finding] = field(default_factory=list)
    best: Design | None = None
    best_findings: list[Finding] = field(default_factory=list)
    rounds_used: int = 0
    failure: str | None = None
    finished: bool = False
    batches: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def key(self) -> Key:
        return (self.contestant.name, self.scenario.id, self.epoch)


def _errors(findings: Sequence[Finding]) -> int:
    return sum(1 for f in findings if f.severity == "error")


def _chunks(requests: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    from archassist.agent.backends.request import encode_body

    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for request in requests:
        weight = len(encode_body(request).encode("utf-8"))
        if chunks[-1] and (len(chunks[-1]) >= MAX_BATCH_REQUESTS or size + weight > MAX_BATCH_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(request)
        size += weight
    return [c for c in chunks if c]


@contextlib.contextmanager
def _api_errors(what: str) -> Iterator[None]:
    """The SDK's errors around one batch call as a BatchError; a rejected key as an input error."""
    import anthropic
    from archassist.agent.backends.base import BackendInputError

    try:
        yield
    except anthropic.AuthenticationError:
        raise BackendInputError(
            "the Anthropic API rejected the key (401 authentication_error); check ANTHROPIC_API_KEY"
        ) from None
    except anthropic.PermissionDeniedError as exc:
        raise BackendInputError(
            f"the API key may not use the Message Batches API (403 {exc.type or 'permission_error'})"
        ) from None
    except anthropic.APIStatusError as exc:
        raise BatchError(
            f"{what} failed ({exc.status_code} {exc.type or 'error'}: {exc.api_message or exc.message})"
        ) from None
    except anthropic.APIError as exc:
        raise BatchError(f"{what} failed ({type(exc).__name__}: {exc})") from None


def submit_and_collect(
    client: Any, requests: list[dict[str, Any]], poll: PollSettings, reporter: Reporter, label: str
) -> tuple[str, dict[str, Any]]:
    """One batch: create it, poll until it has ended, and return its id and its results by custom_id."""
    with _api_errors("creating the batch"):
        batch = client.messages.batches.create(requests=requests)
    started = poll.clock()
    delays = poll.delays()
    while batch.processing_status != ENDED:
        counts = batch.request_counts
        reporter.status(
            f"{label}: batch {batch.id} {batch.processing_status}, {counts.processing} processing"
        )
        if poll.clock() - started > poll.deadline_s:
            raise BatchError(
                f"batch {batch.id} had not ended after {poll.deadline_s:g} s; its results stay with it"
            )
        poll.sleep(next(delays))
        with _api_errors(f"checking batch {batch.id}"):
            batch = client.messages.batches.retrieve(batch.id)
    results: dict[str, Any] = {}
    with _api_errors(f"reading the results of batch {batch.id}"):
        for line in client.messages.batches.results(batch.id):
            results[line.custom_id] = line.result
    return str(batch.id), results


def _read_result(item: _Item, result: Any, batch_id: str) -> Design | None:
    """The design in one item's result; anything else fails the item with the reason."""
    from archassist.agent.backends.anthropic_backend import _answer_text, _usage_of
    from archassist.agent.backends.llm_schema import LLMFormatError, parse_answer

    if result is None:
        item.failure = f"batch {batch_id} returned no result for {item.custom_id}"
        return None
    kind = getattr(result, "type", None)
    if kind == "errored":
        error = result.error.error
        item.failure = f"the batch item errored ({error.type}: {error.message})"
        return None
    if kind in ("canceled", "expired"):
        item.failure = f"the batch item was {kind} before it was processed (batch {batch_id})"
        return None
    message = result.message
    item.usage.add(_usage_of(message))
    stop = getattr(message, "stop_reason", None)
    try:
        if stop in ("max_tokens", "model_context_window_exceeded"):
            raise LLMFormatError(f"the answer was cut off ({stop}); raise ARCHASSIST_MAX_TOKENS")
        if stop == "refusal":
            raise LLMFormatError("the model declined to answer (refusal)")
        return parse_answer(_answer_text(message))
    except LLMFormatError as exc:
        item.failure = f"Claude's answer was not a valid design: {exc}"
        return None


def _round(
    items: list[_Item],
    bodies: Mapping[str, dict[str, Any]],
    poll: PollSettings,
    reporter: Reporter,
    label: str,
) -> dict[str, Design]:
    """Send one body per item (by custom_id) in as few batches as the limits allow; the designs that came back."""
    from archassist.agent.backends.request import sdk_arguments

    requests = [{"custom_id": i.custom_id, "params": sdk_arguments(bodies[i.custom_id])} for i in items]
    by_id = {i.custom_id: i for i in items}
    client = items[0].contestant.client
    designs: dict[str, Design] = {}
    for chunk in _chunks(requests):
        members = [by_id[r["custom_id"]] for r in chunk]
        try:
            batch_id, results = submit_and_collect(client, chunk, poll, reporter, label)
        except BatchError as exc:
            for item in members:
                item.failure = str(exc)
            continue
        for item in members:
            item.batches.append(batch_id)
            design = _read_result(item, results.get(item.custom_id), batch_id)
            if design is not None:
                designs[item.custom_id] = design
    return designs


def _accept(item: _Item, design: Design) -> None:
    from archassist.agent.backends.repair import check_design

    item.design, item.findings = design, check_design(design)
    if item.best is None or _errors(item.findings) <= _errors(item.best_findings):
        item.best, item.best_findings = item.design, item.findings


def generate_in_batches(
    tasks: Sequence[tuple[Contestant, Scenario, int]],
    *,
    poll: PollSettings | None = None,
    reporter: Reporter | None = None,
) -> dict[Key, Generation]:
    """Every task's generation, keyed by (contestant name, scenario id, epoch). Tasks must be Claude
    contestants'; all of them share the first one's client (one key, one batch)."""
    from archassist.agent.backends.base import Usage
    from archassist.agent.backends.request import design_request, repair_request
    from archassist.evals.contestants.claude import ClaudeContestant
    from archassist.evals.runs.progress import SilentReporter

    poll = poll or PollSettings()
    reporter = reporter or SilentReporter()
    items: list[_Item] = []
    for number, (contestant, scenario, epoch) in enumerate(tasks):
        if not isinstance(contestant, ClaudeContestant):
            raise TypeError(f"{contestant.name} cannot design through the Message Batches API")
        first = design_request(scenario.brief, settings=contestant.settings)
        items.append(
            _Item(f"item-{number}", contestant, scenario, epoch, first, Usage(), time.perf_counter())
        )
    if not items:
        return {}
    designs = _round(items, {i.custom_id: i.first for i in items}, poll, reporter, "drafts")
    for item in items:
        if item.custom_id in designs:
            _accept(item, designs[item.custom_id])
        else:
            item.finished = True
    round_number = 0
    while True:
        round_number += 1
        due = [
            i
            for i in items
            if not i.finished and _errors(i.findings) and i.rounds_used < i.contestant.settings.repair_rounds
        ]
        if not due:
            break
        bodies = {}
        for item in due:
            assert item.design is not None
            item.rounds_used += 1
            rounds = item.contestant.settings.repair_rounds
            bodies[item.custom_id] = repair_request(
                item.first, item.design, item.findings, round=item.rounds_used, rounds=rounds
            )
        repaired = _round(due, bodies, poll, reporter, f"repair round {round_number}")
        for item in due:
            design = repaired.get(item.custom_id)
            if design is None:
                item.notices.append(
                    f"repair round {item.rounds_used} failed ({item.failure}); kept the best design so far"
                )
                item.failure = None
                item.finished = True
            elif design == item.design:
                item.notices.append(
                    f"repair round {item.rounds_used} returned the design unchanged; stopped repairing"
                )
                item.finished = True
            else:
                _accept(item, design)
    return {item.key: _generation(item) for item in items}


def _generation(item: _Item) -> Generation:
    seconds = time.perf_counter() - item.started
    details = {
        "model": item.contestant.settings.model,
        "batch": True,
        "batches": item.batches,
        "rounds_used": item.rounds_used,
        "usage": item.usage.to_dict(),
        "notices": item.notices,
    }
    if item.best is None:
        return Generation(None, item.failure or "no design came back from the batch", seconds, details)
    if item.best is not item.design:
        item.notices.append("a repair round made the design worse; kept the earlier design with fewer errors")
    return Generation(item.best, None, seconds, {**details, "errors": _errors(item.best_findings)})
