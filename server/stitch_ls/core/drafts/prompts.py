"""Agent prompts: questions in `.stitch/prompts/*.json`, answered by the engineer."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from stitch_ls.core.drafts.index import describe_validation
from stitch_ls.core.drafts.model import Prompt, Source
from stitch_ls.core.files.fsio import atomic_write, locked, parse_json, read_text_limited

MAX_PROMPT_BYTES = 256 * 1024


def load_prompt(path: Path) -> Prompt:
    """One prompt file, or ValueError with a readable reason."""
    text = read_text_limited(path, MAX_PROMPT_BYTES)
    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path.name}: not valid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise ValueError(f"{path.name}: not valid JSON: {exc}") from None
    try:
        return Prompt.from_data(data)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {describe_validation(exc, Prompt.json_schema())}") from None


def scan_prompts(folders: Path | list[Path]) -> tuple[list[tuple[Path, Prompt]], list[str]]:
    """Every prompt in the folders (every checkout's `.stitch/prompts/`: an agent asks from its
    worktree), oldest file first, and the errors of the broken ones."""
    found: list[tuple[float, Path, Prompt]] = []
    errors: list[str] = []
    entries: list[os.DirEntry[str]] = []
    for folder in [folders] if isinstance(folders, Path) else folders:
        try:
            entries.extend(os.scandir(folder))
        except OSError:
            continue
    for entry in entries:
        if not entry.name.endswith(".json") or entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            found.append((entry.stat().st_mtime, path, load_prompt(path)))
        except (OSError, ValueError) as exc:
            message = str(exc)
            errors.append(message if message.startswith(entry.name) else f"{entry.name}: {message}")
    found.sort(key=lambda item: (item[0], item[1].name))
    return [(path, prompt) for _, path, prompt in found], errors


def write_prompt(folder: Path, prompt: Prompt) -> Path:
    target = folder / f"{prompt.id}.json"
    atomic_write(target, prompt.to_json(indent=2, exclude_none=True) + "\n")
    return target


def answer_prompt(
    path: Path,
    lock: Path,
    answer: str,
    by: str,
    at: datetime,
    door: str,
    sign: Callable[[dict[str, Any]], str] | None = None,
) -> Prompt:
    """Write the answer back, atomically; refuses options the agent did not offer. `sign`
    signs it where the team signs decisions (`core.policy.decisions.signer`)."""
    with locked(lock):
        prompt = load_prompt(path)
        if prompt.answer is not None:
            return prompt
        if answer not in prompt.options:
            raise ValueError(f"{answer!r} is not one of the options")
        answered = prompt.replace(answer=answer, answered_by=by, answered_at=at, answered_door=door)
        if sign is not None:
            answered = answered.replace(signature=sign(answered.answer_body()))
        atomic_write(path, answered.to_json(indent=2, exclude_none=True) + "\n")
        return answered


def new_prompt(
    prompt_id: str,
    question: str,
    options: list[str],
    agent: str,
    stream: str,
    sources: list[Source],
    created: datetime,
) -> Prompt:
    try:
        return Prompt.from_data(
            {
                "id": prompt_id,
                "question": question,
                "options": options,
                "agent": agent,
                "stream": stream,
                "sources": [source.to_data() for source in sources],
                "created": created,
            }
        )
    except ValueError as exc:
        raise ValueError(describe_validation(exc, Prompt.json_schema())) from None


def pending_prompts(folders: Path | list[Path]) -> list[tuple[Path, Prompt]]:
    """The unanswered prompts, oldest first (broken files are left to `scan_prompts`)."""
    found, _ = scan_prompts(folders)
    return [(path, prompt) for path, prompt in found if prompt.answer is None]
