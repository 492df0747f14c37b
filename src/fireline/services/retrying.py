"""Read-change-save under optimistic locking: try again when another writer saved first.

Stores save a case, an appeal, an order or a hold only over the version it was read at,
and raise Conflict (``stale``) when another writer got there first; the whole change is
then read again and reapplied, so the loser's decision is made on what is stored now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fireline.domain import Conflict

#: Tries of a read-change-save before giving up to a storm of concurrent writers.
SAVE_ATTEMPTS = 50

T = TypeVar("T")


def retrying(attempt: Callable[[], T], *, what: str) -> T:
    """``attempt()``, again while another writer saved first (Conflict ``stale``).

    ``attempt`` must read what it changes each time. Any other error passes through;
    after SAVE_ATTEMPTS lost races, Conflict (``stale``) naming ``what``.
    """
    for _ in range(SAVE_ATTEMPTS):
        try:
            return attempt()
        except Conflict as exc:
            if exc.code != "stale":
                raise
    raise Conflict(f"{what} is changing too fast to save; try again", code="stale")
