"""Use cases: hashing, banking, matching, keys, import and export."""

from fireline.services import views
from fireline.services.banking import BankService
from fireline.services.hashing import (
    HashedContent,
    HashingService,
    detect_content_type,
    parse_content_type,
)
from fireline.services.interchange import ExchangeFormat, ImportReport
from fireline.services.keys import ApiKeyService
from fireline.services.matching import Matcher
from fireline.services.signals_in import parse_signal, parse_signal_line

__all__ = [
    "ApiKeyService",
    "BankService",
    "ExchangeFormat",
    "HashedContent",
    "HashingService",
    "ImportReport",
    "Matcher",
    "detect_content_type",
    "parse_content_type",
    "parse_signal",
    "parse_signal_line",
    "views",
]
