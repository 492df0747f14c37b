"""`fireline bank import/export --format urls`: URL lists in and out, a bad line refused."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli
from tests.cli.test_banks import MD5, show

LIST = (
    "# links to the manifesto, 2019-03-15\n"
    "https://Files.Example/manifesto.pdf?utm_source=feed\n"
    "https://files.example/manifesto/*\tcategory:attacker_manifesto\n"
    "\n"
    "*.example.com/*\n"
)


def test_a_url_list_imports_and_exports_as_lines(cli: Cli, tmp_path: Path) -> None:
    cli.ok("bank", "create", "b")
    cli.ok("bank", "add", "b", "--signal", f"md5:{MD5}")
    imported = cli.ok("bank", "import", "b", "-", "--format", "urls", input=LIST)
    assert "3 added, 0 already banked" in imported.stdout
    target = tmp_path / "b.urls"
    exported = cli.ok("bank", "export", "b", "--format", "urls", "-o", target)
    assert target.read_text() == (
        "https://files.example/manifesto.pdf\n"
        "https://files.example/manifesto/*\tcategory:attacker_manifesto\n"
        "https://*.example.com/*\n"
    )
    assert "left out entries of types other than url: 1 md5" in exported.stderr
    cli.ok("bank", "create", "copy")
    again = cli.ok("bank", "import", "copy", target, "--format", "urls")
    assert "3 added" in again.stdout
    labels = {e["value"]: e["labels"] for e in show(cli, "copy")["entries"]}
    assert labels["https://files.example/manifesto/*"] == ["category:attacker_manifesto"]


def test_a_ten_thousand_line_list_with_one_bad_line_stores_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    listing = tmp_path / "list.txt"
    lines = [f"https://example.org/post/{n}" for n in range(10_000)]
    lines[7_776] = "javascript:alert(document.cookie)"
    listing.write_text("\n".join(lines) + "\n")
    cli.ok("bank", "create", "b")
    result = cli("bank", "import", "b", listing, "--format", "urls")
    assert result.exit_code == 3, result.output
    assert "line 7777: only http and https links can be matched" in result.stderr
    assert show(cli, "b")["bank"]["entry_count"] == 0

    lines[7_776] = "https://example.org/post/7776?fbclid=x"
    listing.write_text("\n".join(lines) + "\n")
    result = cli.ok("bank", "import", "b", listing, "--format", "urls")
    assert "10000 added" in result.stdout
    assert show(cli, "b")["bank"]["entry_count"] == 10_000
