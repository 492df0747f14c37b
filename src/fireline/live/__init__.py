"""Adapters for following live streams: HLS over HTTP, growing files, webhooks.

This package does the I/O that the services may not (httpx, files, threads per watch),
behind the ``ChunkSource`` and ``AlertSink`` protocols the services define. It sits
between ``bootstrap`` and ``services`` in the layers.
"""

from fireline.live.fetch import Fetcher, FetchFailed
from fireline.live.hls import HlsSource
from fireline.live.playlist import MasterPlaylist, MediaPlaylist, parse_playlist
from fireline.live.policy import SourcePolicy, SourceSpec
from fireline.live.runner import WatchRunner, open_source, webhook_for
from fireline.live.tail import FileTail
from fireline.live.webhook import WebhookSink

__all__ = [
    "FetchFailed",
    "Fetcher",
    "FileTail",
    "HlsSource",
    "MasterPlaylist",
    "MediaPlaylist",
    "SourcePolicy",
    "SourceSpec",
    "WatchRunner",
    "WebhookSink",
    "open_source",
    "parse_playlist",
    "webhook_for",
]
