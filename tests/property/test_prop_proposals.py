"""Writing a draft or a prompt file is how an agent proposes while it is read-only, so an edit
whose every path is one goes ahead; one real file among them, however it is spelled, makes
the whole call an edit, and read-only stops it. Generated for every agent's edit tools, with
up to five paths under the keys the adapters read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from stitch_props import AGENTS, EDIT_TOOLS, denial, edit_event, examples, guard

NAME = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,7}", fullmatch=True)

# (path relative to the workspace, or starting with "/" for one outside it; a proposal?)
PROPOSALS = st.one_of(
    st.builds(lambda n: f".stitch/drafts/{n}.json", NAME),
    st.builds(lambda n: f".stitch/prompts/{n}.json", NAME),
    st.builds(lambda n: f".stitch/drafts/sub/{n}.json", NAME),
    st.builds(lambda n: f".stitch/prompts/../drafts/{n}.json", NAME),
)
NOT_PROPOSALS = st.one_of(
    st.builds(lambda n: f"src/{n}.py", NAME),
    st.sampled_from(
        [
            "src/checkout.py",
            "README.md",
            ".stitch/config.toml",
            ".stitch/source-log.jsonl",
            ".stitch/drafts/../config.toml",
            ".stitch/drafts/../../src/checkout.py",
            ".stitch/prompts/../../README.md",
            ".stitch/drafts",
            ".stitch/drafts-old/x.json",
            ".stitch/draftsx.json",
            "src/.stitch/drafts/x.json",
        ]
    ),
    # named like a draft, a link to source code: the real file is what changes
    st.just(".stitch/drafts/disguised.json"),
    st.builds(lambda n: f"/elsewhere/.stitch/drafts/{n}.json", NAME),
    st.builds(lambda n: f"../outside/.stitch/prompts/{n}.json", NAME),
)
PATHS = st.lists(
    st.one_of(
        st.tuples(PROPOSALS, st.just(True)),
        st.tuples(NOT_PROPOSALS, st.just(False)),
    ),
    min_size=1,
    max_size=5,
)
LIST_KEYS = ("files", "paths", "filePaths", "file_paths")


def spelled(root: Path, relative: str, how: str) -> str:
    """`relative` as an agent may write it: as is, absolute, or with `./` in front."""
    if relative.startswith("/"):
        return relative
    if how == "absolute":
        return f"{root}/{relative}"
    if how == "dotted":
        return f"./{relative}"
    return relative


@examples(120)
@given(
    paths=PATHS,
    spellings=st.lists(st.sampled_from(["as is", "absolute", "dotted"]), min_size=5, max_size=5),
    arrangement=st.sampled_from(["list", "edits"]),
    list_key=st.sampled_from(LIST_KEYS),
    tool_index=st.integers(0, 2),
)
def test_read_only_lets_an_edit_through_only_when_every_path_is_a_proposal(
    read_only_root: Path,
    paths: list[tuple[str, bool]],
    spellings: list[str],
    arrangement: str,
    list_key: str,
    tool_index: int,
):
    """One tool call naming several files: allowed exactly when all of them are draft or
    prompt files of this workspace (as written and as resolved on disk)."""
    written = [
        spelled(read_only_root, relative, how)
        for (relative, _), how in zip(paths, spellings, strict=False)
    ]
    every_one_a_proposal = all(proposal for _, proposal in paths)
    for agent in AGENTS:
        tool, key = EDIT_TOOLS[agent][tool_index]
        tool_input: dict[str, Any] = {key: written[0]}
        if len(written) > 1:
            if arrangement == "list":
                tool_input[list_key] = written[1:]
            else:
                tool_input["edits"] = [{"file_path": p, "old_string": "a"} for p in written[1:]]
        event = edit_event(agent, read_only_root, tool, tool_input, str(read_only_root))
        reason = denial(agent, guard(agent, event))
        if every_one_a_proposal:
            assert reason is None, (agent, written, reason)
        else:
            assert reason is not None, (agent, written)
            assert f"{tool} is stopped" in reason and "read-only" in reason, reason
