"""Carrying exchange batches between instances over HTTP (httpx), in the background.

An adapter above the services, like ``fireline.live``: the services know nothing of
HTTP; this package signs requests, follows peers' push streams and sends contributions.
"""

from fireline.sync.client import PeerClient
from fireline.sync.worker import ExchangeWorker, SyncReport, sync_once

__all__ = ["ExchangeWorker", "PeerClient", "SyncReport", "sync_once"]
