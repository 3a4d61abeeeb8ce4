"""A hostile repository, opened for real: nothing it contains runs, in any Stitch process.

Each planted program writes a marker file when it runs; every test drives the real thing
(the CLI verbs, the language server and its indexer over stdio) and then checks, after a
positive sign that the work which would have run the program was done, that no marker exists.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gitrepos import git, stream_repo
from person import stitch
from rawlsp import RawServer

SHADOWED = ("queue", "token", "logging", "selectors", "tempfile", "json", "pickle", "typing")


def plant_modules(root: Path, markers: Path) -> None:
    """Modules named like the standard library's (and a `git/` package like GitPython) at the
    repository's root: importing one leaves a marker."""
    for name in SHADOWED:
        (root / f"{name}.py").write_text(
            f"open({str(markers / name)!r}, 'w').close()\nraise SystemExit('hostile {name}')\n"
        )
    (root / "git").mkdir()
    (root / "git" / "__init__.py").write_text(
        f"open({str(markers / 'git')!r}, 'w').close()\nraise SystemExit('hostile git')\n"
    )


def plant_git_programs(root: Path, markers: Path) -> None:
    """Every program a repository's config and attributes can name, each leaving a marker."""
    programs = {}
    for name in ("driver", "clean", "smudge", "process", "textconv", "command", "external"):
        script = markers.parent / f"{name}.sh"
        script.write_text(f'#!/bin/sh\ntouch {markers / name}\ncat "$1" 2>/dev/null\nexit 1\n')
        script.chmod(0o755)
        programs[name] = str(script)
    (root / ".gitattributes").write_text("* merge=evil filter=evil diff=evil\n")
    settings = {
        "merge.evil.driver": programs["driver"] + " %O %A %B",
        "filter.evil.clean": programs["clean"],
        "filter.evil.smudge": programs["smudge"],
        "filter.evil.process": programs["process"],
        "diff.evil.textconv": programs["textconv"],
        "diff.evil.command": programs["command"],
        "diff.external": programs["external"],
        "core.fsmonitor": programs["external"],
        "core.pager": programs["external"],
        "core.hooksPath": str(markers.parent),
    }
    for key, value in settings.items():
        git(root, "config", key, value)
    # a dirty working-tree file: `git diff` would pass it through the clean filter
    checkout = root / "src" / "checkout.py"
    checkout.write_text(checkout.read_text() + "\n# local edit\n")


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    root = stream_repo(tmp_path / "ws")  # two streams that conflict in Cart.total
    markers = tmp_path / "markers"
    markers.mkdir()
    plant_modules(root, markers)
    plant_git_programs(root, markers)
    return root, markers


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m stitch_ls` from inside the repository, as an editor or a shell would."""
    return stitch(*args, cwd=cwd, program=[sys.executable, "-m", "stitch_ls"])


def test_cli_verbs_in_a_hostile_repository_run_nothing_it_contains(hostile):
    root, markers = hostile
    check = run(root, "check", "--json")
    report = json.loads(check.stdout)
    assert any(p["conflict"] for p in report["stitch_points"])  # merge-tree ran, and diff too
    assert any("src/checkout.py" in f for f in report["failures"])
    point = report["stitch_points"][0]["id"]
    signed = run(root, "sign-off", point)
    assert "only lead@example.com may sign off" in signed.stderr  # it found the point
    for verb in (("report", "--json"), ("status",), ("draft", "list"), ("log",)):
        done = run(root, *verb)
        assert done.returncode == 0, (verb, done.stderr)
    assert sorted(p.name for p in markers.iterdir()) == []


def test_the_server_and_its_indexer_in_a_hostile_repository_run_nothing_it_contains(hostile):
    root, markers = hostile
    server = RawServer(root)  # started from inside the repository, as VS Code does
    try:
        server.initialize(root)
        uri = (root / "src" / "checkout.py").as_uri()
        server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": 1,
                    "text": (root / "src" / "checkout.py").read_text(),
                }
            },
        )
        status = server.request("workspace/executeCommand", {"command": "stitch.status"})
        assert status["result"]["read_only"]["on"] is False, status  # the indexer answered
        deadline = time.monotonic() + 15
        found = []
        while not found and time.monotonic() < deadline:  # the snapshot (merge-tree) is done
            found = [
                d
                for n in list(server.notifications)
                if n["method"] == "textDocument/publishDiagnostics" and n["params"]["uri"] == uri
                for d in n["params"]["diagnostics"]
                if "will conflict" in d["message"]
            ]
            time.sleep(0.05)
        assert found, "no stitch point was published: the git work did not run"
        assert server.alive()
    finally:
        server.close()
    assert sorted(p.name for p in markers.iterdir()) == []


def test_a_forged_sign_off_committed_to_the_shared_log_does_not_count(tmp_path: Path):
    root = stream_repo(tmp_path / "ws")
    first = json.loads(run(root, "check", "--json").stdout)
    point = first["stitch_points"][0]
    git(root, "config", "user.email", "lead@example.com")  # the owner signs, for real
    assert run(root, "sign-off", point["id"]).returncode == 0
    assert json.loads(run(root, "check", "--json").stdout)["stitch_points"][0]["signed"]
    git(root, "config", "user.email", "mallory@example.com")
    log = root / ".stitch" / "signoffs.jsonl"
    log.write_text(log.read_text().replace("lead@example.com", "mallory@example.com"))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sign off")
    check = run(root, "check", "--json")
    report = json.loads(check.stdout)
    assert check.returncode == 1 and report["ok"] is False
    [again] = [p for p in report["stitch_points"] if p["id"] == point["id"]]
    assert again["signed_by"] is None and again["forged_by"] == ["mallory@example.com"]
    assert (
        f"sign-off of stitch point {point['id']} by mallory@example.com does not count: "
        "the owner is lead@example.com"
    ) in report["failures"]


HOSTILE_TITLE = (
    "Fix \x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil\x1b\\total\u202e — 0.99 · 12 sources"
)


def test_agent_text_reaches_no_terminal_raw_and_cannot_forge_the_suffix(tmp_path: Path):
    from stitch_ls.core.drafts.gate import action_title
    from stitch_ls.core.drafts.model import Draft
    from workspaces import draft, make_workspace, write_draft

    root = make_workspace(tmp_path / "ws")
    body = draft("evil", confidence=0.7)
    body["title"] = HOSTILE_TITLE
    body["agent"] = "claude\x1b[31m"
    write_draft(root, body)
    outputs = [run(root, "draft", "list"), run(root, "draft", "show", "evil")]
    assert run(root, "draft", "apply", "evil").returncode == 0
    outputs += [run(root, "log"), run(root, "report"), run(root, "log", "--format", "json")]
    for done, shown in zip(outputs, ["Fix", "Fix", "Fix", "claude", "Fix"], strict=True):
        text = done.stdout + done.stderr
        assert done.returncode == 0 and shown in text, text  # the agent's text is shown
        assert not any(ch in text for ch in "\x1b\x07\u202e"), repr(text)
    title = action_title(Draft.from_data(body))
    assert title.count(" — ") == 1 and title.count(" · ") == 2
    assert title.endswith(" - 0.99 . 12 sources — 0.70 · 2 sources · checkout/a/claude\ufffd[31m")
    assert not any(ch in title for ch in "\x1b\x07\u202e\n")


def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path):
    done = subprocess.run(
        f"{sys.executable} -m stitch_ls schema draft | head -c 10",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout == '{\n  "$defs'[:10] and done.stderr == ""


def test_a_stitch_folder_that_is_a_symlink_sends_no_write_anywhere(tmp_path: Path):
    from workspaces import draft, make_workspace, write_draft

    root = make_workspace(tmp_path / "ws")
    elsewhere = tmp_path / "elsewhere"
    (root / ".stitch").rename(elsewhere)
    (root / ".stitch").symlink_to(elsewhere)  # as a repository could commit it
    write_draft(root, draft("ready"))
    before = sorted(p.name for p in elsewhere.rglob("*"))
    body = json.dumps(draft("another"))
    added = subprocess.run(
        [sys.executable, "-m", "stitch_ls", "draft", "add", "-"],
        cwd=root,
        input=body,
        capture_output=True,
        text=True,
        timeout=60,
    )
    applied = run(root, "draft", "apply", "ready")
    assert applied.returncode == 3 and "is a symlink" in applied.stderr, applied.stderr
    assert added.returncode == 3 and "is a symlink" in added.stderr, added.stderr
    assert sorted(p.name for p in elsewhere.rglob("*")) == before
    assert "round(" not in (root / "src" / "checkout.py").read_text()  # nothing applied


def test_a_source_log_that_is_a_symlink_is_never_appended_through(tmp_path: Path):
    from workspaces import draft, make_workspace, write_draft

    root = make_workspace(tmp_path / "ws")
    target = tmp_path / "victim.txt"
    target.write_text("precious\n")
    (root / ".stitch" / "source-log.jsonl").symlink_to(target)
    write_draft(root, draft("ready"))
    applied = run(root, "draft", "apply", "ready")
    assert applied.returncode == 3 and "not a regular file" in applied.stderr
    assert target.read_text() == "precious\n"
    assert "round(" not in (root / "src" / "checkout.py").read_text()  # nothing applied
