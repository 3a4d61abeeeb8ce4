"""Sample workspaces built on disk, and drafts written the way agents write them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

CHECKOUT = '''\
"""Checkout."""


class Cart:
    def __init__(self):
        self.items = []

    def total(self):
        return sum(self.items)


def pay(cart):
    return cart.total()
'''

TEAM = """\
[agents]
confidence_floor = 0.65
irreversible_paths = ["migrations/**"]

[trust]
unsourced_per_hour = 3
on_exhausted = "raise_floor"
scrutiny_raise = 0.15
"""


CITED = {
    "api/openapi.yaml": "openapi: 3.1.0\npaths: {}\n",
    "tests/test_checkout.py": "def test_pay():\n    assert True\n",
    "docs/money.md": "# Money\n\nEmpty carts total zero.\n",
    "docs/typing.md": "# Typing\n",
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def make_workspace(root: Path, team: str = TEAM) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "checkout.py").write_text(CHECKOUT)
    for cited, text in CITED.items():  # the sources `draft()` cites exist: they are checked
        (root / cited).parent.mkdir(parents=True, exist_ok=True)
        (root / cited).write_text(text)
    (root / ".stitch" / "drafts").mkdir(parents=True, exist_ok=True)
    (root / ".stitch" / "config.toml").write_text(team)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")
    return root


def draft(draft_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid, actionable draft on `pay` in src/checkout.py, with fields overridden."""
    body: dict[str, Any] = {
        "version": 1,
        "id": draft_id,
        "title": f"Draft {draft_id}",
        "stream": "checkout/a",
        "agent": "claude-code",
        "created": "2026-11-28T09:12:00Z",
        "confidence": 0.82,
        "sources": [
            {"kind": "doc", "ref": "api/openapi.yaml", "why": "contract of record"},
            {"kind": "test", "ref": "tests/test_checkout.py", "why": "passes in CI"},
        ],
        "evidence": [
            {"kind": "test", "ref": "tests/test_checkout.py::test_pay", "status": "passed"}
        ],
        "irreversible": False,
        "edits": [
            range_edit(
                "src/checkout.py", 12, 4, "return cart.total()", "return round(cart.total(), 2)"
            )
        ],
    }
    body.update(overrides)
    return body


def range_edit(path: str, line: int, character: int, expect: str, text: str) -> dict[str, Any]:
    """A range edit replacing `expect`, which starts at (line, character) on one line."""
    end = {"line": line, "character": character + len(expect)}
    return {
        "path": path,
        "range": {"start": {"line": line, "character": character}, "end": end},
        "expect": expect,
        "text": text,
    }


def write_draft(root: Path, body: dict[str, Any], name: str | None = None) -> Path:
    path = root / ".stitch" / "drafts" / (name or f"{body['id']}.json")
    path.write_text(json.dumps(body, indent=2))
    return path


NON_ASCII = 'x = "é🙂"; y = compute()\n'


def non_ascii_workspace(root: Path) -> Path:
    """A draft whose range follows two-byte and four-byte characters on its line."""
    make_workspace(root)
    (root / "src" / "wide.py").write_text(NON_ASCII)
    body = draft("wide", title="Use compute_total")
    body["edits"] = [range_edit("src/wide.py", 0, 14, "compute()", "compute_total()")]
    write_draft(root, body)
    return root
