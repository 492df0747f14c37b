"""Canonical JSON: one byte string per value, and received JSON parsed without surprises."""

from __future__ import annotations

from typing import Any

import pytest

from fireline.domain import InvalidInput
from fireline.exchange import canonical_json, parse_json
from fireline.exchange.canonical import MAX_DEPTH


def nested(depth: int) -> Any:
    """A value whose innermost item sits ``depth`` levels down."""
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": 2}, b'{"a":2,"b":1}'),
        ({"z": {"y": 1, "x": [3, 2, 1]}}, b'{"z":{"x":[3,2,1],"y":1}}'),
        ([True, False, None], b"[true,false,null]"),
        ({"name": "caf\u00e9"}, '{"name":"caf\u00e9"}'.encode()),
        ({"emoji": "\U0001f525"}, b'{"emoji":"\xf0\x9f\x94\xa5"}'),
        ({"quote": 'a"b\\c\n'}, b'{"quote":"a\\"b\\\\c\\n"}'),
        (-(2**62), b"-4611686018427387904"),
        ("", b'""'),
        ({}, b"{}"),
        ([], b"[]"),
    ],
)
def test_canonical_form_sorts_keys_drops_spaces_and_writes_utf8(
    value: Any, expected: bytes
) -> None:
    assert canonical_json(value) == expected


def test_canonical_form_does_not_depend_on_insertion_order() -> None:
    first = {"protocol": "p", "seq": 1, "events": [{"uid": "u", "type": "t"}]}
    second = {"events": [{"type": "t", "uid": "u"}], "seq": 1, "protocol": "p"}
    assert canonical_json(first) == canonical_json(second)


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        0.5,
        float("nan"),
        float("inf"),
        {"quality": 1.5},
        [[[2.0]]],
        {1: "a"},
        b"bytes",
        (1, 2),
        {1, 2},
        object(),
        "\ud800",
    ],
    ids=[
        "float",
        "half",
        "nan",
        "inf",
        "float-in-object",
        "float-deep",
        "int-key",
        "bytes",
        "tuple",
        "set",
        "object",
        "lone-surrogate",
    ],
)
def test_values_without_one_canonical_form_are_refused(value: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        canonical_json(value)
    assert raised.value.code == "invalid_batch"


@pytest.mark.parametrize(
    ("depth", "accepted"),
    [(1, True), (MAX_DEPTH, True), (MAX_DEPTH + 1, False), (MAX_DEPTH + 10, False)],
)
def test_nesting_is_limited(depth: int, accepted: bool) -> None:
    value = nested(depth)
    text = b"[" * depth + b"0" + b"]" * depth
    if accepted:
        assert canonical_json(value) == text
        assert parse_json(text) == value
        return
    for attempt in (lambda: canonical_json(value), lambda: parse_json(text)):
        with pytest.raises(InvalidInput) as raised:
            attempt()
        assert raised.value.code == "invalid_batch"


def test_very_deep_json_is_refused_not_a_crash() -> None:
    depth = 100_000
    with pytest.raises(InvalidInput) as raised:
        parse_json(b"[" * depth + b"]" * depth)
    assert raised.value.code == "invalid_batch"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"b":1,"a":[true,null]}', {"a": [True, None], "b": 1}),
        (b' { "a" : "caf\xc3\xa9" } ', {"a": "caf\u00e9"}),
        (b'"\\u00e9"', "\u00e9"),
        (b"12345678901234567890", 12345678901234567890),
    ],
)
def test_received_json_parses(data: bytes, expected: Any) -> None:
    assert parse_json(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"not json",
        b"{'a': 1}",
        b"\xff\xfe",
        b'{"a":"caf\xe9"}',
        b"1.5",
        b'{"quality":2.0}',
        b"1e3",
        b"NaN",
        b"[Infinity]",
    ],
    ids=[
        "empty",
        "truncated",
        "words",
        "single-quotes",
        "bom-bytes",
        "latin-1",
        "float",
        "float-in-object",
        "exponent",
        "nan",
        "infinity",
    ],
)
def test_malformed_json_is_invalid_input(data: bytes) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_json(data)
    assert raised.value.code == "invalid_batch"


def test_a_lone_surrogate_parses_but_has_no_canonical_form() -> None:
    # Valid JSON grammar, not valid Unicode: a batch carrying one is refused when its
    # body is made canonical to check the signature (see test_wire).
    value = parse_json(b'["\\ud800"]')
    with pytest.raises(InvalidInput) as raised:
        canonical_json(value)
    assert raised.value.code == "invalid_batch"
