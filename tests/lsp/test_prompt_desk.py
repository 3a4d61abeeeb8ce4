"""The prompt desk is a part of its own: a real indexer answers, the engineer is a callable."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from stitch_ls.indexer.api import IndexerApi
from stitch_ls.indexer.link import IndexerLink
from stitch_ls.lsp.prompt_desk import PromptDesk
from workspaces import make_workspace


def prompt(prompt_id: str, question: str) -> dict:
    return {
        "version": 1,
        "id": prompt_id,
        "agent": "claude\x1b]0;x\x07",
        "stream": "checkout/a",
        "question": question,
        "options": ["yes", "no"],
    }


async def test_prompts_are_shown_one_at_a_time_answered_and_counted(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")
    folder = root / ".stitch" / "prompts"
    folder.mkdir()
    for n in (1, 2):
        (folder / f"q{n}.json").write_text(json.dumps(prompt(f"q{n}", f"Round half-up #{n}?")))
    link = IndexerLink(
        root,
        on_change=lambda p: None,
        on_restarted=lambda: None,
        on_down=lambda: None,
        log=lambda m, e: None,
    )
    assert link.start()
    shown: list[str] = []
    quiet = [False]

    async def engineer(message: str, options: list[str]) -> str | None:
        shown.append(message)
        return "yes" if len(shown) == 1 else None  # answers the first, dismisses the second

    desk = PromptDesk(
        lambda: link.call(IndexerApi.prompts),
        lambda *answer: link.call(IndexerApi.answer, *answer),
        engineer,
        quiet=lambda: quiet[0],
        arrived=lambda ids, q: None,
        user=lambda: "dev@example.com",
        clock=lambda: datetime.now(UTC),
        log=print,
        pending_changed=lambda: None,
    )
    try:
        await link.call(IndexerApi.load, datetime.now(UTC))
        await asyncio.wait_for(desk.run(), timeout=20)
        assert len(shown) == 2 and "Round half-up #1?" in shown[0]
        assert "\x1b" not in shown[0] and "\x07" not in shown[0]  # agent text, plain
        answered = json.loads((folder / "q1.json").read_text())
        assert answered["answer"] == "yes" and answered["answered_by"] == "dev@example.com"
        assert "answer" not in json.loads((folder / "q2.json").read_text())
        assert desk.pending == 1
        await desk.run()
        assert len(shown) == 2  # a dismissed prompt is not shown again by itself
        desk.show_again(["q2"])
        quiet[0] = True
        await desk.run()
        assert len(shown) == 2  # never during quiet hours
        quiet[0] = False
        await desk.run()
        assert len(shown) == 3 and "#2" in shown[2]
    finally:
        link.close()
