"""The docs name every setting and every API route."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from fireline.bootstrap import build
from fireline.settings import Settings
from fireline.web import create_app

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    missing = [
        f"FIRELINE_{name.upper()}"
        for name in Settings.model_fields
        if f"`FIRELINE_{name.upper()}`" not in text
    ]
    assert missing == []


def test_every_setting_has_a_description() -> None:
    assert [n for n, f in Settings.model_fields.items() if not f.description] == []


def test_every_api_route_is_documented() -> None:
    text = (DOCS / "api.md").read_text()
    container = build(Settings(database_url="memory://"))
    with TestClient(create_app(container)) as client:
        paths = client.get("/openapi.json").json()["paths"]
    routes = [f"{method.upper()} {path}" for path, ops in paths.items() for method in ops]
    assert len(routes) >= 15
    assert [r for r in routes if f"`{r}`" not in text] == []
