"""Showing agent-written text safely: escaped Markdown, and links only where they are harmless.

Agents write sources, titles and questions; none of it may become markup, a `command:` link,
a script link or a path outside the workspace in the editor.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlsplit

from stitch_ls.core.files.globs import reserved_part

# C0 and C1 controls (but newline and tab), DEL, and the bidirectional marks, embeddings,
# overrides and isolates that make text display in another order than it reads
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(text: str) -> str:
    """`text` with every terminal control sequence's introducer and every bidirectional
    control shown as U+FFFD: an agent's title can neither drive the terminal (retitle it,
    clear it, hide a link) nor read differently from what it is."""
    return _UNSAFE.sub("\ufffd", text)


def one_line(text: str) -> str:
    """`plain`, on one line (titles, lenses, diagnostics)."""
    return plain(text.replace("\r", " ").replace("\n", " ").replace("\t", " "))


# What Markdown (CommonMark, GitHub's and VS Code's) acts on wherever it stands: escapes, code,
# emphasis, links and images (a link needs its `[...]`), raw HTML and autolinks, tables and
# strike-through
_MARKDOWN_ANYWHERE = re.compile(r"([\\`*\[\]<>|~])")
# `_` emphasises only at a word's edge (`snake_case` stays as it is); `&` only as an entity
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# what opens a block at the start of a line: a heading, a list item, a rule or an underline
_BLOCK_START = re.compile(r"#{1,6}(?=\s|$)|[-+](?=\s|$)|\d{1,9}[.)](?=\s|$)|[-=]+\s*$")


def escape_markdown(text: str) -> str:
    """Agent text as Markdown that shows it as written, on one line: a backslash before
    what Markdown would act on (a link's brackets, code, emphasis, HTML, an entity, a heading
    or list marker where the text starts) and nothing else, so `claude-code`, `ci#4411`,
    `2026-12-06`, `0.86` and `eng@team.dev` read as they are."""
    flat = text.replace("\r", " ").replace("\n", " ").lstrip()
    flat = _MARKDOWN_ANYWHERE.sub(r"\\\1", flat)
    flat = _EDGE_UNDERSCORE.sub(r"\\_", flat)
    flat = _ENTITY.sub(r"\\&", flat)
    block = _BLOCK_START.match(flat)
    if block is not None:
        at = block.end() - 1 if flat[0].isdigit() else 0
        flat = flat[:at] + "\\" + flat[at:]
    return flat


def safe_link(ref: str, root: Path) -> str | None:
    """A link target for `ref` when it is plain http(s) or a file inside the workspace,
    never one in (or reached through a symlink into) `.git/` or `.stitch/`."""
    ref = ref.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in ref) or len(ref) > 2000:
        return None
    parts = urlsplit(ref)
    if parts.scheme in ("http", "https"):
        if not parts.netloc or any(c in ref for c in "<>\"'`()[]"):
            return None
        return ref
    if parts.scheme or ref.startswith(("/", "\\")) or ":" in ref:
        return None
    relative = ref.split("#", 1)[0]
    if not relative or ".." in Path(relative).parts:
        return None
    real_root = root.resolve()
    target = (real_root / relative).resolve()
    if real_root not in target.parents or not target.exists():
        return None
    if reserved_part(target.relative_to(real_root).parts) is not None:
        return None  # .git/ or .stitch/ at any depth, in any case, however it was reached
    return target.as_uri().replace("(", quote("(")).replace(")", quote(")"))


def markdown_ref(ref: str, root: Path) -> str:
    """`ref` as escaped text, linked only if `safe_link` allows it."""
    link = safe_link(ref, root)
    label = escape_markdown(ref)
    if link is None:
        return label
    return f"[{label}](<{link}>)" if " " in link else f"[{label}]({link})"
