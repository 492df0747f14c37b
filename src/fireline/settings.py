"""Settings: one declarative table, read from FIRELINE_* environment variables.

Every field's description is its documentation; docs/settings.md lists them all and a
test fails when one is missing there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MEMORY_URL = "memory://"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIRELINE_", extra="ignore")

    env: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses weak admin keys and never seeds demo data.",
    )
    data_dir: Path = Field(Path("var"), description="Where the SQLite database and files live.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL (`sqlite:///path`, `postgresql+psycopg://...`) or "
        "`memory://`; default: SQLite at `<data_dir>/fireline.db`.",
    )
    host: str = Field("127.0.0.1", description="Interface the HTTP service listens on.")
    port: int = Field(8321, ge=1, le=65535, description="Port the HTTP service listens on.")
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="HTTP worker processes; hashing is CPU-bound, so about one per core. "
        "Each follows the change log, so all of them see every change.",
    )
    org_name: str = Field(
        "local",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Name of this instance's own organisation: keys created without one "
        "belong to it, and banks created here are owned by it. Created on first use.",
    )
    admin_key: SecretStr | None = Field(
        None,
        description="Admin API key to install; otherwise one is generated and printed on "
        "first run.",
    )
    ui_session_secret: SecretStr | None = Field(
        None,
        description="Secret that signs the web UI's login sessions (at least 32 characters); "
        "unset: a random one per process, so sessions end when the service restarts. Set "
        "the same value on every process that serves one instance.",
    )
    ui_session_hours: int = Field(
        12, ge=1, le=24 * 30, description="How long a web UI login lasts, in hours."
    )
    max_upload_bytes: int = Field(
        64 * 1024 * 1024, gt=0, description="Largest accepted upload or file, in bytes (413)."
    )
    max_image_pixels: int = Field(
        64_000_000,
        gt=0,
        description="Largest image (or video frame) accepted, in pixels; checked on the header "
        "before decoding.",
    )
    max_video_seconds: float = Field(
        4 * 3600,
        gt=0,
        description="Longest video accepted, in seconds of playing time; checked on the "
        "header and again while decoding (413).",
    )
    max_decode_seconds: float = Field(
        600,
        gt=0,
        description="Wall-clock seconds decoding and hashing one video may take before it is "
        "stopped (413).",
    )
    max_document_pages: int = Field(
        2000,
        gt=0,
        description="Most pages of a PDF whose text is extracted; more is refused (413).",
    )
    max_text_chars: int = Field(
        20_000_000,
        gt=0,
        description="Most characters of text taken from one document or posted text (413).",
    )
    video_frames_per_second: float = Field(
        1.0,
        gt=0,
        le=30,
        description="Video frames hashed per second of video (vPDQ); 1 matches "
        "python-threatexchange and HMA.",
    )
    pdq_threshold: int = Field(
        31, ge=0, le=128, description="Default PDQ match distance; a bank may set its own."
    )
    match_dihedral: bool = Field(
        True, description="Also match rotated and mirrored copies of uploaded photos."
    )
    policy_file: Path | None = Field(
        None,
        description="TOML file of the policy rules that turn matches into actions (block, "
        "review, preserve...); unset: the shipped default. See docs/policy.md.",
    )
    appeal_window_days: int = Field(
        30,
        ge=1,
        le=3650,
        description="Days after a decision (or an automatic block) during which the "
        "affected user may appeal.",
    )
    order_deadline_minutes: int = Field(
        60,
        ge=1,
        le=7 * 24 * 60,
        description="Minutes from a removal order's receipt to its deadline (EU TCO "
        "2021/784 Art. 3(3): one hour).",
    )
    order_escalate_minutes: int = Field(
        15,
        ge=0,
        le=24 * 60,
        description="An open removal order with less than this many minutes left (or "
        "overdue) is escalated, once, and announced to the order webhooks.",
    )
    order_webhooks: list[str] = Field(
        [],
        description="URLs (a JSON list) that get a JSON POST when a removal order is escalated.",
    )
    order_check_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="How often `fireline serve` escalates due removal orders and purges "
        "expired preservation holds (0: never in the background).",
    )
    preservation_days: int = Field(
        183,
        ge=1,
        le=3650,
        description="Days a preservation hold keeps the evidence of removed content "
        "(EU TCO 2021/784 Art. 6: six months) unless an authority extends it.",
    )
    exchange_max_batch_bytes: int = Field(
        16 * 1024 * 1024,
        ge=64 * 1024,
        le=256 * 1024 * 1024,
        description="Largest exchange batch accepted from a peer, in bytes (413 beyond); "
        "batches this instance builds stay under half of it.",
    )
    exchange_suppress_disputes: int = Field(
        0,
        ge=0,
        le=1000,
        description="An entry whose latest opinion from this many organisations is a "
        "dispute no longer matches (0: disputes never suppress a match).",
    )
    exchange_sync: bool = Field(
        True,
        description="`fireline serve` follows subscribed peers' feeds (push), sends "
        "contributions and publishes shared banks' feeds in the background.",
    )
    exchange_poll_seconds: float = Field(
        0.1,
        gt=0,
        le=60,
        description="How often the background exchange looks for changes committed by "
        "other processes (changes made through this server are sent at once).",
    )
    incident_quorum: int = Field(
        2,
        ge=1,
        le=100,
        description="Organisations (the declaring one included) whose approval activates an "
        "incident; 2 or more means no single member can activate one alone.",
    )
    incident_candidate_hamming: int = Field(
        48,
        ge=0,
        le=128,
        description="PDQ distance within which an upload near an active incident's content is "
        "a candidate variant (beyond the match threshold it waits for a responder).",
    )
    incident_candidate_segment: int = Field(
        70,
        ge=0,
        le=100,
        description="Segment distance (100 minus the segment score) within which a video or "
        "audio upload near an active incident's content is a candidate variant.",
    )
    incident_fold_distance: int = Field(
        10,
        ge=0,
        le=64,
        description="An upload this close to a banked entry is a copy (counted, not proposed); "
        "a proposal this close to a proposed variant is folded into it.",
    )
    incident_auto_accept_matches: bool = Field(
        True,
        description="Accept a proposed variant at once when it matched incident content within "
        "the match threshold (off: every variant waits for a responder).",
    )
    incident_auto_accept_orgs: int = Field(
        3,
        ge=0,
        le=1000,
        description="Accept a proposed variant at once when this many organisations proposed "
        "it (0: never by count).",
    )
    incident_hub: str | None = Field(
        None,
        description="The peer (by name) whose incidents this member instance follows: "
        "`fireline serve` subscribes to their banks, proposes the variants its uploads "
        "reveal and reports its tallies to it. Unset: incidents are this instance's own.",
    )
    incident_webhooks: list[str] = Field(
        [],
        description="URLs (a JSON list) that get a JSON POST for every incident step: "
        "declared, approved, activated, state changes, hashes and variants accepted.",
    )
    seed_demo: bool = Field(
        False, description="Seed the `demo` bank from generated images when it is missing."
    )
    watch_stall_seconds: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="A watched HLS stream with no new segment for this long stops as stalled; "
        "a watched file that does not grow for this long has ended.",
    )
    watch_frames_per_second: float = Field(
        2.0,
        gt=0,
        le=30,
        description="Frames hashed per second of a live stream. Twice the file rate by "
        "default, so three matching frames (what a match needs) arrive within 1.5 s.",
    )
    watch_window_seconds: float = Field(
        120.0,
        ge=10,
        le=600,
        description="Seconds of the newest frames of a live stream matched each time; older "
        "frames are dropped.",
    )
    max_watches: int = Field(
        4,
        ge=0,
        le=64,
        description="Watches one server process runs at a time (0: none through the API).",
    )
    watch_file_dir: Path | None = Field(
        None,
        description="Directory under which the API may watch local files; unset: no file "
        "sources through the API.",
    )
    watch_allow_private_urls: bool = Field(
        False,
        description="Let API watches and webhooks reach loopback, private and link-local "
        "addresses (off: public addresses only, against request forgery).",
    )

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_production(self) -> Settings:
        if self.env == "production":
            key = self.admin_key.get_secret_value() if self.admin_key else None
            if key is not None and len(key) < 32:
                raise ValueError("FIRELINE_ADMIN_KEY must be at least 32 characters in production")
            if self.seed_demo:
                raise ValueError("FIRELINE_SEED_DEMO is for development only")
        elif self.admin_key and len(self.admin_key.get_secret_value()) < 24:
            raise ValueError("FIRELINE_ADMIN_KEY must be at least 24 characters")
        if self.ui_session_secret and len(self.ui_session_secret.get_secret_value()) < 32:
            raise ValueError("FIRELINE_UI_SESSION_SECRET must be at least 32 characters")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fireline.db').as_posix()}"
