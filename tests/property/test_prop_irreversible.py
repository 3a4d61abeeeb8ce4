"""An edit to a file the team calls irreversible (`irreversible_paths`) is denied however the
agent spells the path: relative to any folder it works in, absolute, with `./`, doubled
slashes and `..` detours that come back, through a link to a folder of the workspace or to
the workspace itself, in another case or Unicode form, from a working folder outside the
workspace, and backing out of a link with `..`. Every agent's edit tools, through their own
hooks."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stitch_props import AGENTS, EDIT_TOOLS, denial, edit_event, examples, guard

from workspaces import TEAM, make_workspace

CAFE = unicodedata.normalize("NFC", "café")
PATTERNS = ("migrations/**", "**/*.sql", f"{CAFE}/**")
GUARDED_TEAM = TEAM.replace(
    'irreversible_paths = ["migrations/**"]',
    "irreversible_paths = [" + ", ".join(f'"{p}"' for p in PATTERNS) + "]",
)

# irreversible files (existing or about to be created), as workspace-relative parts
TARGETS = [
    ("migrations", "001_init.py"),
    ("migrations", "sub", "002_new.py"),
    ("migrations", "003.sql"),
    ("db", "schema.sql"),
    ("src", "report.sql"),
    (CAFE, "notes.txt"),
]
INSIDE_CWDS = ("", "src", "migrations", "migrations/sub", "db", CAFE)


@pytest.fixture(scope="module")
def guarded_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with irreversible paths, links to its folders (and one to the workspace
    itself, outside it), and a folder outside it to work from."""
    base = tmp_path_factory.mktemp("guarded")
    root = make_workspace(base / "ws", GUARDED_TEAM).resolve()
    for folder in ("migrations/sub", "db", CAFE):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "migrations" / "001_init.py").write_text("up = 1\n")
    (root / "db" / "schema.sql").write_text("create table t (id int);\n")
    (root / CAFE / "notes.txt").write_text("x\n")
    (root / "src" / "to-migrations").symlink_to(root / "migrations")
    (root / "src" / "deep").symlink_to(root / "migrations" / "sub")
    (base / "alias").symlink_to(root)
    (base / "outside").mkdir()
    return root


@st.composite
def noisy(draw: st.DrawFn, path: str) -> str:
    """`path` with `./` segments, doubled slashes and `name/..` detours that come back, in
    the folders before the file name (a lexical no-op: `name` is never a link)."""
    absolute = path.startswith("/")
    parts = path.split("/")[1:] if absolute else path.split("/")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(parts) - 1))
        noise = draw(st.sampled_from([["."], [""], ["db", ".."], ["zz", ".."], ["src", ".."]]))
        if noise != [""] or at > 0 or absolute:  # a leading "" would make it absolute
            parts = parts[:at] + noise + parts[at:]
    return ("/" if absolute else "") + "/".join(parts)


@st.composite
def plain_spellings(draw: st.DrawFn, root: Path) -> tuple[str, str]:
    """(path as written, the event's cwd): every way of naming the file the guard should see
    through today."""
    target = draw(st.sampled_from(TARGETS))
    physical = root.joinpath(*target)
    how = draw(st.sampled_from(["relative", "absolute", "out and back", "link", "alias"]))
    cwd = root / draw(st.sampled_from(INSIDE_CWDS))
    if how == "relative":
        written = os.path.relpath(physical, cwd)
    elif how == "absolute":
        written = str(physical)
    elif how == "out and back":  # leave the workspace and come back in by its name
        out = os.path.relpath(root.parent, cwd)
        written = "/".join([out, root.name, *target])
    elif how == "link" and target[0] == "migrations":  # src/to-migrations -> migrations
        via = root / "src" / "to-migrations" / Path(*target[1:])
        written = os.path.relpath(via, cwd) if draw(st.booleans()) else str(via)
    else:  # the workspace through a link to it from outside
        written = str(root.parent / "alias" / Path(*target))
    return draw(noisy(written)), str(cwd)


@st.composite
def case_variants(draw: st.DrawFn, root: Path) -> tuple[str, str]:
    target = draw(st.sampled_from(TARGETS))
    parts = [p.upper() if draw(st.booleans()) else p for p in target]
    if list(parts) == list(target):
        parts[-1] = parts[-1].upper()
    return "/".join(parts), str(root)


@st.composite
def decomposed(draw: st.DrawFn, root: Path) -> tuple[str, str]:
    name = draw(st.sampled_from(["notes.txt", "new.py", "x"]))
    written = f"{unicodedata.normalize('NFD', CAFE)}/{name}"
    return (str(root / written) if draw(st.booleans()) else written), str(root)


@st.composite
def from_outside(draw: st.DrawFn, root: Path) -> tuple[str, str]:
    target = root.joinpath(*draw(st.sampled_from(TARGETS)))
    outside = root.parent / "outside"
    written = str(target) if draw(st.booleans()) else os.path.relpath(target, outside)
    return written, str(outside)


@st.composite
def back_out_of_a_link(draw: st.DrawFn, root: Path) -> tuple[str, str]:
    """`src/deep` links to migrations/sub, so the OS opens src/deep/../x as migrations/x."""
    name = draw(st.sampled_from(["001_init.py", "004_new.py"]))
    written = f"src/deep/../{name}"
    return (str(root / written) if draw(st.booleans()) else written), str(root)


FAMILIES = [
    pytest.param(plain_spellings, id="relative-absolute-dotted-detours-links-cwds"),
    pytest.param(case_variants, id="case-variants"),
    pytest.param(decomposed, id="unicode-nfd"),
    pytest.param(from_outside, id="cwd-outside"),
    pytest.param(back_out_of_a_link, id="dotdot-after-link"),
]


@pytest.mark.parametrize("family", FAMILIES)
@examples(60)
@given(data=st.data(), tool_index=st.integers(0, 2))
def test_an_edit_to_an_irreversible_file_is_denied_however_it_is_spelled(
    guarded_root: Path, family, data: st.DataObject, tool_index: int
):
    written, cwd = data.draw(family(guarded_root), label="written, cwd")
    for agent in AGENTS:
        tool, key = EDIT_TOOLS[agent][tool_index]
        event = edit_event(agent, guarded_root, tool, {key: written}, cwd)
        reason = denial(agent, guard(agent, event))
        assert reason is not None, (agent, tool, written, cwd)
        assert "is an irreversible path" in reason, reason
