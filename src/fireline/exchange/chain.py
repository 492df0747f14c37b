"""Where a batch falls in its chain: the next one, a replay, a gap, or a broken link."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fireline.domain import ChainBroken, Conflict
from fireline.exchange.wire import Batch

#: The ``prev`` of a chain's first batch.
GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest batch a receiver holds of one chain (seq 0: none yet)."""

    seq: int = 0
    hash: str = GENESIS


def verify_next(batch: Batch, head: ChainHead, *, stored_hash: str | None = None) -> bool:
    """Whether ``batch`` is new (True) or one already applied, sent again (False).

    ``stored_hash`` is the hash the receiver holds for ``batch.seq`` when it is not past
    the head. Conflict (``out_of_order``, ``replayed_batch``, ``broken_chain``) otherwise.
    """
    if batch.seq <= head.seq:
        if stored_hash == batch.hash:
            return False  # the same batch again (a retry after a lost answer): harmless
        raise Conflict(
            f"batch {batch.seq} of {batch.bank!r} replaces one already applied "
            f"(this receiver is at {head.seq}); refused",
            code="replayed_batch",
        )
    if batch.seq != head.seq + 1:
        raise Conflict(
            f"batch {batch.seq} of {batch.bank!r} is out of order: expected {head.seq + 1}",
            code="out_of_order",
        )
    if batch.prev != head.hash:
        raise Conflict(
            f"batch {batch.seq} of {batch.bank!r} does not chain to batch {head.seq} "
            "(its prev is not that batch's hash)",
            code="broken_chain",
        )
    return True


def verify_chain(batches: Iterable[Batch], *, publisher: str) -> int:
    """Check a whole chain from seq 1; returns its length, ChainBroken at the first fault."""
    head = ChainHead()
    for batch in batches:
        if batch.publisher != publisher:
            raise ChainBroken(f"batch {batch.seq} is signed by another key")
        try:
            verify_next(batch, head)
        except Conflict as exc:
            raise ChainBroken(exc.message) from None
        head = ChainHead(batch.seq, batch.hash)
    return head.seq
