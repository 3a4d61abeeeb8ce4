"""Sources checked on read: workspace paths (anchors, lines, test names), commits, URLs."""

from __future__ import annotations

import shutil
from pathlib import Path

from stitch_ls.core.drafts.model import Source
from stitch_ls.core.drafts.sources import SourceChecker, heading_slugs
from workspaces import git, make_workspace


def status(checker: SourceChecker, kind: str, ref: str) -> str:
    return checker.check(Source(kind=kind, ref=ref, why="w")).status


def test_paths_anchors_lines_and_test_names_are_checked(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "limits.md").write_text(
        "# Limits\n\n## Rate limits\n\n```\n# not a heading\n```\n## Rate limits\n"
    )
    checker = SourceChecker(root)
    assert status(checker, "doc", "docs/limits.md") == "checked"
    assert status(checker, "doc", "docs/limits.md#rate-limits") == "checked"
    assert status(checker, "doc", "docs/limits.md#rate-limits-1") == "checked"
    assert status(checker, "doc", "docs/limits.md#not-a-heading") == "missing"
    assert status(checker, "doc", "docs/limits.md#nowhere") == "missing"
    assert status(checker, "doc", "docs/does-not-exist.md") == "missing"
    assert status(checker, "code", "src/checkout.py:13") == "checked"
    assert status(checker, "code", "src/checkout.py:2-13") == "checked"
    assert status(checker, "code", "src/checkout.py:10-99") == "missing"
    assert status(checker, "test", "tests/test_checkout.py::test_pay") == "checked"
    assert status(checker, "test", "tests/test_checkout.py::test_nothing") == "missing"
    assert status(checker, "doc", "../outside.md") == "missing"
    assert status(checker, "url", "https://example.com/spec") == "external"
    assert status(checker, "ticket", "JIRA-123") == "unverifiable"
    assert status(checker, "dashboard", "grafana latency panel") == "unverifiable"


def test_a_cited_file_that_appears_is_checked_on_the_next_read(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    checker = SourceChecker(root)
    assert status(checker, "doc", "docs/later.md#plan") == "missing"
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "later.md").write_text("# Plan\n")
    assert status(checker, "doc", "docs/later.md#plan") == "checked"


def test_a_symlink_out_of_the_workspace_is_missing(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    (tmp_path / "secret.md").write_text("# Secret\n")
    (root / "leak.md").symlink_to(tmp_path / "secret.md")
    assert status(SourceChecker(root), "doc", "leak.md") == "missing"


def test_a_cited_file_swapped_for_a_link_out_is_missing_though_it_was_read_before(tmp_path: Path):
    """Each file's check is kept by its stat (a scan cites the same few files thousands of
    times): a path that now leads out of the workspace is another file, checked anew."""
    root = make_workspace(tmp_path / "ws")
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "plan.md").write_text("# Plan\n")
    (tmp_path / "secret.md").write_text("# Plan\n\n# Secret\n")
    checker = SourceChecker(root)
    assert status(checker, "doc", "docs/plan.md#plan") == "checked"
    (root / "docs" / "plan.md").unlink()
    (root / "docs" / "plan.md").symlink_to(tmp_path / "secret.md")
    assert status(checker, "doc", "docs/plan.md#plan") == "missing"
    shutil.rmtree(root / "docs")
    (root / "docs").symlink_to(tmp_path)  # a folder on the way, this time
    assert status(checker, "doc", "docs/secret.md#secret") == "missing"


def test_commits_are_looked_up_in_the_repository(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    head = git(root, "rev-parse", "HEAD").strip()
    blob = git(root, "rev-parse", "HEAD:src/checkout.py").strip()
    checker = SourceChecker(root)
    assert status(checker, "commit", head) == "checked"
    assert status(checker, "commit", head[:10]) == "checked"
    assert status(checker, "commit", "0" * 40) == "missing"
    assert status(checker, "commit", blob) == "missing"  # an object, but not a commit
    assert status(SourceChecker(tmp_path), "commit", head) == "unverifiable"  # no repository


def test_github_heading_slugs():
    assert heading_slugs("# Hello, World!\n## `code` *here*\n") == {"hello-world", "code-here"}


def test_a_cited_file_that_changes_is_checked_again(tmp_path: Path):
    """The checker keeps what it read by the file's stat: a heading removed (or a line range
    cut short) after the first check is missing on the next, one added is found."""
    root = make_workspace(tmp_path / "ws")
    doc = root / "docs" / "money.md"
    checker = SourceChecker(root)
    assert status(checker, "doc", "docs/money.md#money") == "checked"
    assert status(checker, "doc", "docs/money.md#rounding") == "missing"
    doc.write_text("# Rounding\n\nHalf-even.\n")  # another size and mtime: read again
    assert status(checker, "doc", "docs/money.md#money") == "missing"
    assert status(checker, "doc", "docs/money.md#rounding") == "checked"
    assert status(checker, "code", "docs/money.md:3") == "checked"
    doc.write_text("# Rounding\n")
    assert status(checker, "code", "docs/money.md:3") == "missing"
