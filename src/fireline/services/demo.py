"""The demo bank `make run` seeds on first run: generated, benign images only."""

from __future__ import annotations

from fireline.domain import NotFound
from fireline.services.banking import BankService
from fireline.testing.media import encode, random_photo

DEMO_BANK = "demo"
DEMO_IMAGES = 8


def seed_demo(banks: BankService) -> bool:
    """Create and fill the demo bank unless it exists; returns whether it did."""
    try:
        banks.get(name=DEMO_BANK)
        return False
    except NotFound:
        pass
    banks.create(
        name=DEMO_BANK,
        description="Synthetic images generated on first run (fireline.testing.media seeds 0-7)",
    )
    for seed in range(DEMO_IMAGES):
        banks.add_content(
            bank=DEMO_BANK,
            data=encode(random_photo(seed), "PNG"),
            labels=("category:glorification", "basis:member_policy", "entity:demo"),
            note=f"demo image, random_photo(seed={seed})",
            contributor="demo",
        )
    return True
