"""The edges of each guarantee, where a flipped comparison or a dropped check would hide.

Each test sits exactly on a boundary: at the floor, at the budget, a range that still exists
but holds other text, a symbol whose text changed, a link into a folder Stitch guards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stitch_ls.core.drafts.anchor import plan_draft
from stitch_ls.core.drafts.gate import Gate, GateContext, ReadOnly, decide
from stitch_ls.core.drafts.model import Draft
from stitch_ls.core.policy.trust import budget_state
from stitch_ls.core.safetext import markdown_ref, safe_link
from stitch_ls.core.syntax import SyntaxDoc, lookup_symbol
from workspaces import CHECKOUT, draft

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def find_symbol(path: str, text: str, name: str):
    return lookup_symbol(path, text, name)


def context(floor: float) -> GateContext:
    return GateContext(quiet=False, read_only=ReadOnly(False), floor=floor, floor_from="team file")


@pytest.mark.parametrize("floor", [0.65, 0.8, 0.82, 1.0])
def test_confidence_exactly_at_the_floor_is_actionable(floor: float):
    at = decide(Draft.from_data(draft("d", confidence=floor)), context(floor))
    assert at.gate is Gate.ACTIONABLE and at.reason is None
    below = decide(Draft.from_data(draft("d", confidence=round(floor - 0.01, 2))), context(floor))
    assert below.gate is Gate.BELOW_FLOOR


def test_a_valid_range_holding_different_text_is_stale():
    # same length, so the draft's range (12,4)-(12,23) is still on the line, over other text
    typed = CHECKOUT.replace("return cart.total()", "return cart.items()")
    assert typed.splitlines()[12][4:23] == "return cart.items()"
    plan = plan_draft(Draft.from_data(draft("d")), lambda path: typed, find_symbol)
    assert plan.stale == "src/checkout.py: the expected text is not in the file"
    assert plan.edits == ()


def test_a_symbol_edit_whose_expect_no_longer_matches_is_stale():
    symbol = SyntaxDoc(CHECKOUT, "python").find_symbol("Cart.total")
    assert symbol is not None
    lines = CHECKOUT.splitlines(keepends=True)
    original = "".join(lines[symbol.start[0] : symbol.end[0] + 1]).strip()
    body = draft(
        "d",
        edits=[
            {
                "path": "src/checkout.py",
                "symbol": "Cart.total",
                "expect": original,
                "text": "def total(self):\n        return 0",
            }
        ],
    )
    ok = plan_draft(Draft.from_data(body), lambda path: CHECKOUT, find_symbol)
    assert ok.ok, ok.stale
    changed = CHECKOUT.replace("return sum(self.items)", "return sum(self.items) + 1")
    plan = plan_draft(Draft.from_data(body), lambda path: changed, find_symbol)
    assert plan.stale == "src/checkout.py: symbol Cart.total changed since the draft was made"


@pytest.mark.parametrize("budget", [0, 1, 3])
def test_a_used_up_but_not_exceeded_budget_is_not_exhausted(budget: int):
    arrivals = {f"d{i}": T0 + timedelta(minutes=i) for i in range(budget)}
    state = budget_state(arrivals, [], budget)
    assert (state.used, state.budget, state.exhausted) == (budget, budget, False)
    arrivals["one-more"] = T0 + timedelta(minutes=30)
    assert budget_state(arrivals, [], budget).exhausted is True


@pytest.fixture
def linked_root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for folder in (".git", ".stitch", ".stitch/drafts", "sub/.git", "docs"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for name in (".git/config", ".stitch/config.toml", ".stitch/drafts/d.json", "sub/.git/HEAD"):
        (root / name).write_text("x")
    (root / "docs" / "api.md").write_text("# api\n")
    (root / "docs" / "to-git").symlink_to(root / ".git")
    (root / "docs" / "to-stitch.toml").symlink_to(root / ".stitch" / "config.toml")
    return root


@pytest.mark.parametrize(
    "ref",
    [
        ".git/config",
        ".stitch/config.toml",
        ".stitch/drafts/d.json",
        "./.stitch/config.toml",
        "docs/../.stitch/config.toml",
        "sub/.git/HEAD",
        "docs/to-git/config",
        "docs/to-stitch.toml",
        ".git",
        ".stitch",
        ".GIT/config",
    ],
)
def test_links_never_point_into_git_or_stitch(linked_root: Path, ref: str):
    assert safe_link(ref, linked_root) is None
    assert markdown_ref(ref, linked_root).startswith("[") is False


def test_a_plain_workspace_file_is_still_linked(linked_root: Path):
    link = safe_link("docs/api.md", linked_root)
    assert link == (linked_root / "docs" / "api.md").resolve().as_uri()
