"""Lists as every door answers them: at most a limit of rows, and what was left out, said.

A list answer crosses pipes and the editor's wire whole, and agents can write drafts by the
thousand (docs/security.md has what that cost). Every list Stitch answers (`stitch.listDrafts`,
`stitch-ls draft list`, MCP's `list_stitch_points`) takes its rows through `first`, with the
asker's limit or `LIST_LIMIT`, and keeps its shape: the rows, then, only when some were left
out, one more entry (or, where the answer is an object, a `truncated` field) saying how many
and how to see them (`Page.truncation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, NamedTuple, TypeVar

LIST_LIMIT = 500  # rows one list answer carries unless the asker says otherwise
LIMIT_ERROR = "a list's limit is a whole number, at least 1"

T = TypeVar("T")


class Page(NamedTuple, Generic[T]):
    """The first `limit` rows of a list of `total`. (A named tuple: the CLI imports this
    module, and the guard, which runs before every agent tool call, need not load
    `dataclasses`.)"""

    rows: list[T]
    total: int
    limit: int

    @property
    def left_out(self) -> int:
        return self.total - len(self.rows)

    def truncation(self, what: str) -> dict[str, Any] | None:
        """What was left out, as the answer says it ("… and 100 more drafts"); None when
        nothing was."""
        if self.left_out <= 0:
            return None
        return {
            "truncated": True,
            "shown": len(self.rows),
            "total": self.total,
            "left_out": self.left_out,
            "limit": self.limit,
            "message": f"… and {self.left_out:,} more {what}, left out: ask again with a higher limit",
        }

    def answer(self, what: str) -> list[Any]:
        """The rows, then the truncation entry when some were left out: the shape of a list
        answer (`stitch.listDrafts`, `draft list --json`), which clients read row by row."""
        said = self.truncation(what)
        return [*self.rows, said] if said is not None else list(self.rows)


def check_limit(value: object) -> int:
    """A limit as an asker gave it; ValueError (`LIMIT_ERROR`) for anything but an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(LIMIT_ERROR)
    return value


def first(rows: Sequence[T], limit: int = LIST_LIMIT) -> Page[T]:
    """The first `limit` of `rows` (in their order), and how many there were."""
    limit = check_limit(limit)
    return Page(list(rows[:limit]), len(rows), limit)
