"""The permission table: what each role may do, written out once more as the spec."""

from __future__ import annotations

import pytest

from fireline.domain import ROLE_PERMISSIONS, Permission, Role, allows

P = Permission

EXPECTED = {
    Role.ADMIN: set(Permission),
    Role.CURATOR: {
        P.MATCH,
        P.READ_BANKS,
        P.READ_ENTRIES,
        P.CURATE,
        P.OPINE,
        P.READ_FIGURES,
        P.READ_INCIDENTS,
    },
    Role.REVIEWER: {
        P.MATCH,
        P.READ_BANKS,
        P.READ_ENTRIES,
        P.OPINE,
        P.READ_FIGURES,
        P.READ_INCIDENTS,
        P.REVIEW,
    },
    Role.MATCHER: {P.MATCH, P.READ_BANKS, P.SCREEN},
    Role.AUDITOR: {P.READ_AUDIT, P.READ_FIGURES, P.READ_BANKS},
    Role.OBSERVER: {P.READ_FIGURES},
    Role.RESPONDER: {P.MATCH, P.READ_BANKS, P.READ_FIGURES, P.READ_INCIDENTS, P.RESPOND},
    Role.LEGAL: {P.LEGAL, P.READ_FIGURES, P.READ_BANKS},
}


def test_every_role_has_a_row() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role) == set(EXPECTED)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("permission", list(Permission))
def test_allows_follows_the_table(role: Role, permission: Permission) -> None:
    assert allows(role, permission) is (permission in EXPECTED[role])


def test_the_table_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        ROLE_PERMISSIONS[Role.OBSERVER] = frozenset(Permission)  # type: ignore[index]


def test_role_is_still_importable_from_models() -> None:
    from fireline.domain.models import Role as ModelsRole

    assert ModelsRole is Role
