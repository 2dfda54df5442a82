"""What several scorers read the same way: the rules' index and the capacity model, built once per design."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archassist.agent.capacity.analysis import CapacityAnalysis
    from archassist.agent.model.design import Design
    from archassist.agent.rules.index import DesignIndex


def index_of(design: Design) -> DesignIndex:
    from archassist.agent.rules.index import DesignIndex

    return DesignIndex.build(design)


def capacity_of(design: Design, index: DesignIndex | None = None) -> CapacityAnalysis:
    """The capacity model's figures under its default what-if (the one the capacity rules check against)."""
    from archassist.agent.capacity.analysis import analyse

    return analyse(design, index=index)


def rate(eps: float) -> str:
    """Events per second for a reason: whole numbers from 10 up, three significant digits below."""
    return f"{eps:,.0f}/s" if eps >= 10 else f"{eps:.3g}/s"


def names(items: Iterable[str], limit: int = 3) -> str:
    shown = [f"'{n}'" for n in items]
    text = ", ".join(shown[:limit])
    return text + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


@dataclass(frozen=True)
class Params:
    """A scorer's weights and thresholds, merged from its defaults and the caller's overrides."""

    weights: dict[str, float]
    thresholds: dict[str, float]

    @classmethod
    def merge(
        cls,
        scorer: str,
        default_weights: Mapping[str, float],
        default_thresholds: Mapping[str, float],
        weights: Mapping[str, float] | None,
        thresholds: Mapping[str, float] | None,
    ) -> Params:
        for given, known, what in (
            (weights, default_weights, "weight"),
            (thresholds, default_thresholds, "threshold"),
        ):
            unknown = sorted(set(given or ()) - set(known))
            if unknown:
                raise ValueError(
                    f"scorer {scorer}: unknown {what} {unknown[0]!r}; it has {', '.join(sorted(known)) or 'none'}"
                )
            for key, value in (given or {}).items():
                if not isinstance(value, int | float) or value < 0 or value != value:
                    raise ValueError(f"scorer {scorer}: {what} {key!r} must be a number of at least 0")
        return cls(
            weights={**default_weights, **(weights or {})},
            thresholds={**default_thresholds, **(thresholds or {})},
        )

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"weights": dict(self.weights)}
        if self.thresholds:
            out["thresholds"] = dict(self.thresholds)
        return out


class ParamScorer:
    """A scorer whose parameters are named weights (and thresholds) with defaults that a run may override; the
    merged values are what the run records."""

    name: str
    default_weights: Mapping[str, float] = {}
    default_thresholds: Mapping[str, float] = {}

    def __init__(
        self, weights: Mapping[str, float] | None = None, thresholds: Mapping[str, float] | None = None
    ) -> None:
        self._params = Params.merge(self.name, self.default_weights, self.default_thresholds, weights, thresholds)

    @property
    def params(self) -> Mapping[str, Any]:
        return self._params.data()
