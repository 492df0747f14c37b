"""Where a batch falls in its chain: next, the same again, a replay, a gap, a broken link."""

from __future__ import annotations

import pytest

from fireline.domain import ChainBroken, Conflict
from fireline.exchange import GENESIS, BatchKind, EntryRetracted, InstanceKey, build_batch
from fireline.exchange.chain import ChainHead, verify_chain, verify_next
from fireline.exchange.wire import Batch

KEY = InstanceKey(b"\x01" * 32)  # fixed keys: the same test ids in every xdist worker
OTHER = InstanceKey(b"\x02" * 32)
AT = "2026-11-23T10:00:00Z"


def chain(length: int, *, key: InstanceKey = KEY, reason: str = "") -> list[Batch]:
    """``length`` correctly chained feed batches from seq 1."""
    batches: list[Batch] = []
    prev = GENESIS
    for seq in range(1, length + 1):
        event = EntryRetracted(uid=f"{key.fingerprint}:{seq}", reason=reason, at=AT)
        batches.append(
            build_batch(key, kind=BatchKind.FEED, bank="tvec", seq=seq, prev=prev, events=(event,))
        )
        prev = batches[-1].hash
    return batches


BATCHES = chain(4)
ALTERED = chain(4, reason="rewritten history")  # same seqs, other contents


def head_at(seq: int) -> ChainHead:
    return ChainHead() if seq == 0 else ChainHead(seq, BATCHES[seq - 1].hash)


def test_an_empty_head_is_genesis() -> None:
    assert ChainHead() == ChainHead(0, GENESIS) == ChainHead(0, "0" * 64)
    assert BATCHES[0].prev == GENESIS


@pytest.mark.parametrize("seq", [1, 2, 3, 4])
def test_the_next_batch_is_new(seq: int) -> None:
    assert verify_next(BATCHES[seq - 1], head_at(seq - 1)) is True


@pytest.mark.parametrize(("seq", "head"), [(1, 1), (1, 3), (3, 3), (2, 4)])
def test_a_batch_already_applied_sent_again_is_harmless(seq: int, head: int) -> None:
    batch = BATCHES[seq - 1]
    assert verify_next(batch, head_at(head), stored_hash=batch.hash) is False


@pytest.mark.parametrize(
    ("batch", "head", "stored_hash", "code"),
    [
        # Another batch where one was applied: a publisher rewriting its history.
        (ALTERED[0], 1, BATCHES[0].hash, "replayed_batch"),
        (ALTERED[2], 3, BATCHES[2].hash, "replayed_batch"),
        # An old seq the receiver cannot compare: refused, never applied twice.
        (BATCHES[0], 2, None, "replayed_batch"),
        # A gap: the receiver is at 1 and batch 3 comes.
        (BATCHES[2], 1, None, "out_of_order"),
        (BATCHES[3], 0, None, "out_of_order"),
        # The right seq, but it does not chain to the receiver's head.
        (ALTERED[1], 1, None, "broken_chain"),
        (BATCHES[1], 0, None, "out_of_order"),
    ],
    ids=[
        "replaced-first",
        "replaced-third",
        "old-unknown",
        "gap-of-one",
        "gap-from-start",
        "broken-link",
        "second-first",
    ],
)
def test_batches_out_of_their_place_are_conflicts(
    batch: Batch, head: int, stored_hash: str | None, code: str
) -> None:
    with pytest.raises(Conflict) as raised:
        verify_next(batch, head_at(head), stored_hash=stored_hash)
    assert raised.value.code == code


def test_a_first_batch_must_chain_to_genesis() -> None:
    first = build_batch(
        KEY,
        kind=BatchKind.FEED,
        bank="tvec",
        seq=1,
        prev="1" * 64,
        events=BATCHES[0].events,
    )
    with pytest.raises(Conflict) as raised:
        verify_next(first, ChainHead())
    assert raised.value.code == "broken_chain"


@pytest.mark.parametrize("length", [0, 1, 4])
def test_a_whole_chain_verifies_to_its_length(length: int) -> None:
    assert verify_chain(BATCHES[:length], publisher=KEY.public_key) == length


@pytest.mark.parametrize(
    ("batches", "publisher", "words"),
    [
        ([BATCHES[0], BATCHES[2]], KEY.public_key, "out of order"),
        ([BATCHES[1]], KEY.public_key, "out of order"),
        ([BATCHES[0], ALTERED[1]], KEY.public_key, "does not chain"),
        ([BATCHES[0], BATCHES[1], BATCHES[1]], KEY.public_key, "replaces one"),
        (BATCHES[:2], OTHER.public_key, "another key"),
        ([BATCHES[0], *chain(2, key=OTHER)[1:]], KEY.public_key, "another key"),
    ],
    ids=["gap", "no-start", "broken-link", "repeat", "other-publisher", "key-switch"],
)
def test_a_broken_chain_raises_chain_broken(
    batches: list[Batch], publisher: str, words: str
) -> None:
    with pytest.raises(ChainBroken) as raised:
        verify_chain(batches, publisher=publisher)
    assert raised.value.code == "chain_broken"
    assert words in raised.value.message
