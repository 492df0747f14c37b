"""The label taxonomy, modelled on GIFCT's: content category, entity, basis for inclusion.

A label is written ``dimension:value``. Categories and bases are closed lists; entities
are free slugs (the name of a designated group or an incident), validated for shape only.
"""

from __future__ import annotations

import re
from enum import StrEnum

from fireline.domain.errors import InvalidInput


class ContentCategory(StrEnum):
    PERPETRATOR_LIVESTREAM = "perpetrator_livestream"
    ATTACKER_MANIFESTO = "attacker_manifesto"
    BRANDED_PUBLICATION = "branded_publication"
    RECRUITMENT = "recruitment"
    INSTRUCTION = "instruction"
    GLORIFICATION = "glorification"
    IMMINENT_CREDIBLE_THREAT = "imminent_credible_threat"
    GRAPHIC_VIOLENCE_DEFENCELESS = "graphic_violence_defenceless"


class InclusionBasis(StrEnum):
    DESIGNATION_LIST = "designation_list"
    CRISIS_INCIDENT = "crisis_incident"
    MEMBER_POLICY = "member_policy"


DIMENSIONS: dict[str, tuple[str, ...] | None] = {
    "category": tuple(c.value for c in ContentCategory),
    "basis": tuple(b.value for b in InclusionBasis),
    "entity": None,
}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


def parse_label(raw: str) -> str:
    """Return the canonical form of a label, or raise InvalidInput naming what is wrong."""
    text = raw.strip().lower()
    dimension, sep, value = text.partition(":")
    if not sep or not value:
        raise InvalidInput(
            f"label {raw!r} must be written dimension:value, "
            f"with dimension one of {', '.join(DIMENSIONS)}",
            code="unknown_label",
        )
    if dimension not in DIMENSIONS:
        raise InvalidInput(
            f"label {raw!r} has unknown dimension {dimension!r}; known: {', '.join(DIMENSIONS)}",
            code="unknown_label",
        )
    allowed = DIMENSIONS[dimension]
    if allowed is not None and value not in allowed:
        raise InvalidInput(
            f"label {raw!r}: unknown {dimension} {value!r}; known: {', '.join(allowed)}",
            code="unknown_label",
        )
    if allowed is None and not _SLUG.match(value):
        raise InvalidInput(
            f"label {raw!r}: an {dimension} is a slug of a-z, 0-9, '_', '.', '-'",
            code="unknown_label",
        )
    return f"{dimension}:{value}"


def parse_labels(raw: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Canonicalise, de-duplicate and sort a list of labels."""
    return tuple(sorted({parse_label(label) for label in raw}))
