"""Real git repositories with stream branches, built in temporary folders for the tests."""

from __future__ import annotations

from pathlib import Path

from workspaces import CHECKOUT, TEAM, git, make_workspace

STREAM_TEAM = (
    TEAM
    + """
[streams]
base = "main"
branch_pattern = "stream/{feature}/{stream}"
max_per_feature = 2

[features.checkout]
stitch_owner = "lead@example.com"
paths = ["src/**"]
"""
)


def commit_on(
    root: Path,
    branch: str,
    path: str,
    old: str,
    new: str,
    message: str,
    *,
    start_from: str = "main",
) -> str:
    """Create (or continue) `branch`, replace `old` with `new` in `path`, commit; back to main."""
    existing = git(root, "branch", "--list", branch).strip()
    git(
        root,
        "checkout",
        "-q",
        branch if existing else "-b",
        *([] if existing else [branch, start_from]),
    )
    file = root / path
    text = file.read_text() if file.exists() else ""
    assert old in text, (old, path)
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text.replace(old, new, 1))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    sha = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "main")
    return sha


def stream_repo(root: Path) -> Path:
    """Two agent streams on checkout: `a` edits Cart.total, `b` edits Cart.total and pay."""
    make_workspace(root, STREAM_TEAM)
    commit_on(
        root,
        "stream/checkout/a",
        "src/checkout.py",
        "return sum(self.items)",
        "return sum(self.items) or 0",
        "Empty carts total zero\n\nStitch-Source: doc docs/money.md | rule of record\n"
        "Stitch-Confidence: 0.9\nStitch-Evidence: passed tests/test_cart.py::test_empty ci#1\n"
        "Stitch-Agent: claude-code",
    )
    commit_on(
        root,
        "stream/checkout/b",
        "src/checkout.py",
        "    def total(self):\n",
        "    def total(self):\n        # sum of item prices\n",
        "Document total",
    )
    commit_on(
        root,
        "stream/checkout/b",
        "src/checkout.py",
        "return cart.total()",
        "return cart.total() + 0",
        "Touch pay",
    )
    return root


__all__ = ["CHECKOUT", "STREAM_TEAM", "commit_on", "stream_repo", "git"]
