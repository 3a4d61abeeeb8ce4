"""Applying a placed draft to files on disk (the CLI's path; editors apply through LSP)."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from stitch_ls.core.drafts.anchor import Plan, PlannedEdit
from stitch_ls.core.files.fsio import read_inside, unlink_inside, write_inside
from stitch_ls.core.files.paths import check_relative_path
from stitch_ls.core.text import LineIndex

MAX_BYTES = 20 * 1024 * 1024  # the largest file a draft is applied to (read whole)


def apply_text_edits(text: str, edits: list[tuple[tuple[int, int], tuple[int, int], str]]) -> str:
    """Apply non-overlapping (start, end, new_text) edits, all relative to `text`."""
    index = LineIndex(text)
    spans = []
    for start, end, new in edits:
        a, b = index.offset(*start), index.offset(*end)
        if a is None or b is None:
            raise ValueError("an edit lies outside the text")
        spans.append((a, b, new))
    out = text
    for a, b, new in sorted(spans, reverse=True):
        out = out[:a] + new + out[b:]
    return out


def text_after(path: str, edits: list[PlannedEdit], before: str | None) -> str | None:
    """A file's text once its planned `edits` are made to `before` (None: no file, before
    or after). Raises ValueError when a file to edit is not there."""
    kind = edits[0].kind
    if kind == "delete":
        return None
    if kind == "create":
        return edits[0].text
    if before is None:
        raise ValueError(f"{path} is not there to edit")
    return apply_text_edits(before, [(e.start, e.end, e.text) for e in edits])


def apply_plan_to_disk(root: Path, plan: Plan) -> None:
    """Write every file of the plan atomically (each file whole; the plan was checked),
    through the path-safe opener: no symlink is followed on the way to any file, so a
    folder swapped for a link while this runs cannot send a write outside the workspace."""
    real_root = root.resolve()
    for path, edits in plan.by_path().items():
        check_relative_path(path)  # the plan's paths were checked; refused here too
        before = read_inside(real_root, path, MAX_BYTES) if edits[0].kind == "replace" else None
        after = text_after(path, edits, before)
        if after is None:
            unlink_inside(real_root, path)
        else:
            write_inside(real_root, path, after)


def preview_diff(plan: Plan, read: Callable[[str], str | None]) -> str:
    """A unified diff of what applying `plan` would change, file by file (`read` gives the
    text each edit was placed on)."""
    out: list[str] = []
    for path, edits in plan.by_path().items():
        kind = edits[0].kind
        before = "" if kind == "create" else (read(path) or "")
        after = text_after(path, edits, before) or ""
        out.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                "/dev/null" if kind == "create" else f"a/{path}",
                "/dev/null" if kind == "delete" else f"b/{path}",
            )
        )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in out
    )
