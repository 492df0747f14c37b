"""Aggregate figures for observers: counts only, never a hash, an entry or a bank's contents."""

from __future__ import annotations

from fireline.domain import Figures
from fireline.store import BankStore, OrganisationStore


def instance_figures(*, banks: BankStore, orgs: OrganisationStore) -> Figures:
    """The instance's figures now: banks, entries by signal type and category, organisations."""
    return Figures(entries=banks.entry_figures(), organisations=len(orgs.list_orgs()))
