"""judge (optional, off by default): Claude grades the design against a rubric.

The rubric is ``prompts/judge.md.j2``: the criteria of the structural scorers in words, anchors for the scale,
and the rule that a small flow is best served by a small design. The judge sees the brief, the requirements
the scenario states (not its expected concepts, which are the answer key of domain coverage) and the design as
YAML, and answers in a JSON schema: an overall score, a score and a reason per criterion, and a summary.

It needs ``ANTHROPIC_API_KEY`` (or a client); it is never part of the default scorers, so a run without a key
is unaffected. Its ``params`` record the model, the token limit and a hash of the rubric, so a changed rubric is
visible in a stored run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from archassist.evals.base import CRITERIA, Scenario, Score

if TYPE_CHECKING:
    from archassist.agent.model.design import Design

DEFAULT_MAX_TOKENS = 4_000
RUBRIC: tuple[tuple[str, str], ...] = (
    ("scalability", "partitions and consumer groups absorb the brief's peak, keys spread load, no hot aggregate"),
    ("coupling", "no synchronous calls on event paths, no shared databases, services read only integration events "
     "of others (a tightly coupled design scores low)"),
    ("idempotency", "every consumer, command, compensation and projection is safe to repeat, with a named key"),
    ("resilience", "bounded retries with backoff and jitter, dead letters with retention and redrive, outbox or "
     "CDC instead of dual writes, sagas with timeouts and compensations"),
    ("evolvability", "versioned events with a compatibility mode and an owner, a complete envelope"),
    ("observability", "alerts on consumer lag and dead-letter depth, correlation and causation ids, tracing"),
    ("domain_coverage", "the services, events and workflows the brief is about, and its stated requirements"),
    ("fit", "the design is as simple as the brief allows; it concedes when events are overkill"),
)
GRADE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "score": {"type": "integer"},
        "criteria": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "criterion": {"type": "string"},
                    "score": {"type": "integer"},
                    "reason": {"type": "string"},
                },
                "required": ["criterion", "score", "reason"],
                "additionalProperties": False,
            },
        },
        "summary": {"type": "string"},
    },
    "required": ["score", "criteria", "summary"],
    "additionalProperties": False,
}


def rubric_prompt() -> str:
    from archassist.agent.backends.prompting import environment

    return environment().get_template("judge.md.j2").render(criteria=RUBRIC)


def judge_request(design: Design, scenario: Scenario | None, *, model: str, max_tokens: int) -> dict[str, Any]:
    """The Messages API body the judge sends for one design."""
    import yaml

    data = design.model_dump(mode="json", exclude_defaults=True)
    shown = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    if scenario is not None:
        stated = json.dumps(dict(scenario.requirements), ensure_ascii=False) if scenario.requirements else "none"
        about = f"Brief ({scenario.id}): {scenario.brief}\nStated requirements: {stated}\n"
    else:
        about = f"Brief: {design.brief or '(not given: judge the design on its own)'}\n"
    return {
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": [{"type": "text", "text": f"{about}\nDesign:\n```yaml\n{shown}```"}]}],
        "model": model,
        "output_config": {"format": {"type": "json_schema", "schema": GRADE_SCHEMA}},
        "system": [{"type": "text", "text": rubric_prompt(), "cache_control": {"type": "ephemeral"}}],
    }


def parse_grade(text: str) -> dict[str, Any]:
    """The judge's answer as data; ValueError when it is not a grade in the schema's shape and range."""
    try:
        grade = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the judge's answer is not JSON ({exc.msg})") from None
    if not isinstance(grade, dict) or not isinstance(grade.get("score"), int) or isinstance(grade["score"], bool):
        raise ValueError("the judge's answer has no integer 'score'")
    scores = [grade["score"], *(c.get("score") for c in grade.get("criteria", []) if isinstance(c, dict))]
    if not all(isinstance(s, int) and 0 <= s <= 100 for s in scores):
        raise ValueError("the judge gave a score outside 0-100")
    return grade


class JudgeScorer:
    """Claude's grade of the design against the rubric (see the module docstring); 0–100, with its reasons."""

    name = "judge"
    description = "Claude grades the design against a rubric (optional; needs ANTHROPIC_API_KEY)."

    def __init__(
        self,
        model: str | None = None,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        client: Any = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        from archassist.agent.backends.select import resolve_model, resolve_settings

        self._settings = resolve_settings(model=model, env=env)
        self.model = resolve_model(model, env)
        self.max_tokens = max_tokens
        self._client = client
        self._env = env

    @property
    def params(self) -> Mapping[str, Any]:
        digest = hashlib.sha256(rubric_prompt().encode("utf-8")).hexdigest()[:16]
        return {"model": self.model, "max_tokens": self.max_tokens, "rubric_sha256": digest}

    def _client_or_new(self) -> Any:
        if self._client is None:
            from archassist.agent.backends.anthropic_backend import make_client
            from archassist.agent.backends.base import BackendInputError
            from archassist.agent.backends.choice import KEY_VARIABLE, environment
            from archassist.agent.backends.request import base_url

            values = environment(self._env)
            key = values.get(KEY_VARIABLE, "").strip()
            if not key:
                raise BackendInputError(f"the judge scorer needs {KEY_VARIABLE}; set it, or leave the judge out")
            self._client = make_client(key, self._settings, base_url=base_url(values))
        return self._client

    def score(self, design: Design, scenario: Scenario | None = None) -> Score:
        body = judge_request(design, scenario, model=self.model, max_tokens=self.max_tokens)
        message = _send(self._client_or_new(), body)
        from archassist.agent.backends.base import BackendUnavailableError

        text = "".join(b.text for b in message.content if getattr(b, "type", None) == "text")
        try:
            grade = parse_grade(text)
        except ValueError as exc:
            raise BackendUnavailableError(str(exc)) from None
        per_criterion = {
            str(c["criterion"]): int(c["score"]) for c in grade.get("criteria", []) if isinstance(c, dict)
        }
        reasons = [str(grade.get("summary", "")).strip()]
        reasons += [
            f"{c['criterion']} {c['score']}: {c.get('reason', '')}".strip()
            for c in grade.get("criteria", [])
            if isinstance(c, dict)
        ]
        usage = getattr(message, "usage", None)
        return Score(
            criterion=self.name,
            value=float(grade["score"]),
            reasons=tuple(r for r in reasons if r),
            details={
                "applies": True,
                "criteria": per_criterion,
                "model": getattr(message, "model", self.model),
                "input_tokens": getattr(usage, "input_tokens", 0) or 0,
                "output_tokens": getattr(usage, "output_tokens", 0) or 0,
                "structural_criteria": list(CRITERIA),
            },
        )


def _send(client: Any, body: dict[str, Any]) -> Any:
    import anthropic
    from archassist.agent.backends.base import BackendInputError, BackendUnavailableError
    from archassist.agent.backends.request import sdk_arguments

    try:
        with client.messages.stream(**sdk_arguments(body)) as stream:
            message = stream.get_final_message()
    except anthropic.AuthenticationError:
        raise BackendInputError("the Anthropic API rejected the key (401); check ANTHROPIC_API_KEY") from None
    except anthropic.NotFoundError:
        raise BackendInputError(f"the Anthropic API does not know model '{body['model']}' (404)") from None
    except anthropic.APIStatusError as exc:
        raise BackendUnavailableError(f"the judge's call failed ({exc.status_code} {exc.type or 'error'})") from None
    except anthropic.APIError as exc:
        raise BackendUnavailableError(f"the judge's call failed ({type(exc).__name__})") from None
    if getattr(message, "stop_reason", None) in ("max_tokens", "refusal"):
        raise BackendUnavailableError(f"the judge's answer stopped early ({message.stop_reason})")
    return message
