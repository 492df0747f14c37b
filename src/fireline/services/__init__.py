"""Use cases: hashing, banking, matching, keys, organisations, the audit log, import and
export."""

from fireline.services import views
from fireline.services.audit import AuditLog
from fireline.services.banking import BankService
from fireline.services.figures import instance_figures
from fireline.services.hashing import (
    HashedContent,
    HashingService,
    detect_content_type,
    parse_content_type,
)
from fireline.services.interchange import ExchangeFormat, ImportReport
from fireline.services.keys import ApiKeyService
from fireline.services.matching import Matcher
from fireline.services.orgs import OrganisationService
from fireline.services.review import ReviewService
from fireline.services.signals_in import parse_signal, parse_signal_line

__all__ = [
    "ApiKeyService",
    "AuditLog",
    "BankService",
    "ExchangeFormat",
    "HashedContent",
    "HashingService",
    "ImportReport",
    "Matcher",
    "OrganisationService",
    "ReviewService",
    "detect_content_type",
    "instance_figures",
    "parse_content_type",
    "parse_signal",
    "parse_signal_line",
    "views",
]
