"""Webhook deliveries: retried, never blocking, failures reported and logged."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest

from fireline.domain import InvalidInput
from fireline.live import SourcePolicy, WebhookSink
from fireline.testing.live import WebhookReceiver
from fireline.testing.server import free_port

LOOPBACK = SourcePolicy(allow_private_addresses=True)


def test_events_are_posted_as_json_in_order() -> None:
    with WebhookReceiver() as receiver:
        sink = WebhookSink(receiver.url, policy=LOOPBACK)
        for number in (1, 2, 3):
            sink.deliver({"number": number, "kind": "alert"})
        sink.close()
    assert [e["number"] for e in receiver.events] == [1, 2, 3]
    assert sink.delivered == 3


def test_a_failing_receiver_is_retried() -> None:
    with WebhookReceiver(failures=2) as receiver:
        sink = WebhookSink(receiver.url, policy=LOOPBACK)
        sink.deliver({"number": 1, "kind": "alert"})
        sink.close()
    assert receiver.attempts == 3
    assert [e["number"] for e in receiver.events] == [1]


def test_a_dead_receiver_is_reported_and_logged_never_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures: list[tuple[Mapping[str, Any], str]] = []
    url = f"http://127.0.0.1:{free_port()}/hook"
    sink = WebhookSink(
        url, policy=LOOPBACK, on_failure=lambda e, why: failures.append((e, why)), timeout=1
    )
    with caplog.at_level(logging.WARNING, logger="fireline.watch"):
        sink.deliver({"number": 7, "kind": "alert"})
        sink.close()
    assert len(failures) == 1 and failures[0][0]["number"] == 7
    assert "cannot reach" in failures[0][1]
    assert "webhook delivery of event 7 failed" in caplog.text
    assert sink.failed == 1


def test_a_webhook_on_a_private_address_is_refused_by_the_server_policy() -> None:
    with pytest.raises(InvalidInput) as caught:
        WebhookSink("http://127.0.0.1:9/hook", policy=SourcePolicy())
    assert caught.value.code == "address_not_allowed"
