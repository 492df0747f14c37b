"""Roles and permissions: what an API key may do, declared once as a table.

A route or command needs exactly one permission; a role is the set of permissions it
grants. Observers see aggregate figures only: never a hash, an entry or a bank's contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    """Who holds an API key, by what they do."""

    #: Everything, including keys, organisations and the exchange's peers.
    ADMIN = "admin"
    #: Edits banks and entries.
    CURATOR = "curator"
    #: Reads entries and records opinions on them; decides cases and appeals.
    REVIEWER = "reviewer"
    #: A platform's pipeline: hashes, matches and screens uploads, files reports and appeals.
    MATCHER = "matcher"
    #: Reads the audit log.
    AUDITOR = "auditor"
    #: Aggregate figures only.
    OBSERVER = "observer"
    #: Crisis responders: declare, approve and run incidents.
    RESPONDER = "responder"
    #: Legal and compliance staff: removal orders, preservation holds, notices to users.
    LEGAL = "legal"


class Permission(StrEnum):
    """One kind of action a route or command performs."""

    #: Hash and match content; start, read and stop live watches.
    MATCH = "match"
    #: Bank names, metadata and counts (not their entries).
    READ_BANKS = "read_banks"
    #: Entries with their hash values, and exports.
    READ_ENTRIES = "read_entries"
    #: Create, update and delete banks; add, retract and import entries.
    CURATE = "curate"
    #: Record an opinion on an entry: confirm, dispute, investigation seed.
    OPINE = "opine"
    #: Read and verify the audit log.
    READ_AUDIT = "read_audit"
    #: Aggregate figures: counts by bank policy, signal type and category.
    READ_FIGURES = "read_figures"
    #: Incidents: their state, timeline, variants and live view.
    READ_INCIDENTS = "read_incidents"
    #: Declare, approve, change and conclude incidents; submit hashes; decide variants.
    RESPOND = "respond"
    #: Screen uploads against the policy, open cases from user reports, file users'
    #: appeals: what a platform's upload pipeline does.
    SCREEN = "screen"
    #: Cases, the review queue and appeals: read them, reveal their media, decide them;
    #: release entries held by flood control.
    REVIEW = "review"
    #: Removal orders, preservation holds and notices to users (EU TCO 2021/784).
    LEGAL = "legal"
    #: API keys, organisations, and the exchange's peers and subscriptions.
    ADMIN = "admin"


ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.ADMIN: frozenset(Permission),
        Role.CURATOR: frozenset(
            {
                Permission.MATCH,
                Permission.READ_BANKS,
                Permission.READ_ENTRIES,
                Permission.CURATE,
                Permission.OPINE,
                Permission.READ_FIGURES,
                Permission.READ_INCIDENTS,
            }
        ),
        Role.REVIEWER: frozenset(
            {
                Permission.MATCH,
                Permission.READ_BANKS,
                Permission.READ_ENTRIES,
                Permission.OPINE,
                Permission.READ_FIGURES,
                Permission.READ_INCIDENTS,
                Permission.REVIEW,
            }
        ),
        Role.MATCHER: frozenset({Permission.MATCH, Permission.READ_BANKS, Permission.SCREEN}),
        Role.AUDITOR: frozenset(
            {Permission.READ_AUDIT, Permission.READ_FIGURES, Permission.READ_BANKS}
        ),
        Role.OBSERVER: frozenset({Permission.READ_FIGURES}),
        Role.RESPONDER: frozenset(
            {
                Permission.MATCH,
                Permission.READ_BANKS,
                Permission.READ_FIGURES,
                Permission.READ_INCIDENTS,
                Permission.RESPOND,
            }
        ),
        Role.LEGAL: frozenset({Permission.LEGAL, Permission.READ_FIGURES, Permission.READ_BANKS}),
    }
)


def allows(role: Role, permission: Permission) -> bool:
    """Whether ``role`` grants ``permission``."""
    return permission in ROLE_PERMISSIONS[role]
