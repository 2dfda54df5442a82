"""The capacity rules (EDA420–EDA425) report the model's figures in their messages; each figure here is
computed by hand from the clean fixture (tests/fixtures/review/clean.yaml: 200/s × 3 = 600/s at peak)."""

from __future__ import annotations

from pathlib import Path

from archassist.agent.model.design import Design, Topic
from archassist.agent.model.io import load_design_file
from archassist.agent.rules.engine import check

CLEAN = Path(__file__).parent / "fixtures" / "review" / "clean.yaml"


def clean() -> Design:
    return load_design_file(CLEAN).design


def messages(design: Design, code: str) -> list[str]:
    return [f"{f.message} | fix: {f.fix}" for f in check(design, select=[code])]


def test_falls_behind_names_capacity_peak_and_the_sizing() -> None:
    design = clean()
    design.consumers[1].processing_time_ms = 20
    (text,) = messages(design, "EDA420")
    # 3 instances × 50/s = 150/s against 600/s = 400 %; at 70 %: 600 / 35 = 17.1 → 18 partitions and instances
    assert "absorbs 150 events/s from 'payments.commands'" in text and "peak is 600 events/s" in text
    assert "400% utilisation" in text
    assert "18 partitions and run 18 instances" in text


def test_unstated_handler_times_are_not_convicted() -> None:
    # the clean fixture states no handler time: the plan assumes 20 ms, the review does not judge on it
    assert messages(clean(), "EDA420") == []


def test_drain_beyond_retention_gives_the_recovery_time() -> None:
    design = clean()
    design.consumers[1].processing_time_ms = 1
    design.topics[2].retention_days = 0.01
    (text,) = messages(design, "EDA421")
    # backlog 600 × 900 = 540,000; drain 540,000 / (3,000 − 600) = 225 s = 3.75 min; current after 1,125 s
    assert "needs 3.75 min to drain 540,000 events" in text and "current after 18.8 min" in text
    assert "keeps only 14.4 min" in text and "at only 2,400 events/s" in text


def test_dedup_ttl_gives_the_window() -> None:
    design = clean()
    design.consumers[0].idempotency.ttl_days = 0.01
    (text,) = messages(design, "EDA422")
    # 5 × 20 ms + 15 s of delays + 900 s + 300 s = 1,215.1 s = 20.3 min, against 864 s = 14.4 min
    assert "forgets event ids after 14.4 min" in text and "arrive for 20.3 min" in text


def test_amplification_gives_attempts_per_message() -> None:
    design = clean()
    design.consumers[0].retry.max_attempts = 20_000
    (text,) = messages(design, "EDA423")
    # 0.9999 × (1 − 0.01^20000) / 0.99 + 0.0001 × 20,000 = 1.0100 + 2 = 3.01
    assert "makes 3.01 attempts per message" in text


def test_blocking_retry_gives_the_stall() -> None:
    design = clean()
    design.consumers[0].subscriptions += ["OrderConfirmed", "OrderCancelled"]
    (text,) = messages(design, "EDA424")
    assert "holds its partition for 15.1 s" in text and "1,000 ms lag target" in text
    design.topics.append(Topic(name="orders.events.order-saga.retry", partitions=6, purpose="retry"))
    assert messages(design, "EDA424") == []


def test_dead_letter_topic_retention_counts_over_the_policy() -> None:
    design = clean()
    design.topics[4].retention_days = 1
    (text,) = messages(design, "EDA425")
    # payment-handler reads payments.commands at 600/s; 600 × 86,400 × (0.0001 + 0.9999 × 0.01^5) ≈ 5,184 a day
    assert "keeps messages 1 days, less than the 7 days" in text and "about 5,184 dead letters a day" in text
    assert "retention_days to 14" in text
