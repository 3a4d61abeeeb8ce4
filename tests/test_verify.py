"""`stitch-ls verify`: the team's test command, really run, on the draft in a scratch worktree."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from test_cli import cli
from workspaces import TEAM, draft, git, make_workspace, write_draft

TEST_PAY = """\
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import checkout


def test_pay_rounds():
    cart = checkout.Cart()
    cart.items = [0.1, 0.2]
    assert checkout.pay(cart) == 0.3


def test_saved_changes_are_there():
    assert checkout.SAVED == 1
"""


def verified_workspace(root: Path, timeout_s: int = 120) -> Path:
    command = [sys.executable, "-I", "-m", "pytest", "-q", "-p", "no:cacheprovider", "{refs}"]
    team = TEAM.replace(
        'irreversible_paths = ["migrations/**"]',
        'irreversible_paths = ["migrations/**"]\nirreversible_requires = "verified"',
    )
    team += f"\n[evidence]\ncommand = {json.dumps(command)}\ntimeout_s = {timeout_s}\n"
    team += 'env = ["STITCH_TEST_PIDFILE"]\n'  # what the editor's slow test reports to
    make_workspace(root, team)
    (root / "tests" / "test_pay.py").write_text(TEST_PAY)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "tests")
    # the engineer's saved, uncommitted change to the draft's file
    with (root / "src" / "checkout.py").open("a") as handle:
        handle.write("\n\nSAVED = 1\n")
    return root


def rounding(draft_id: str, refs: list[str], **overrides) -> dict:
    evidence = [{"kind": "test", "ref": ref, "status": "passed"} for ref in refs]
    return draft(draft_id, evidence=evidence, irreversible=True, **overrides)


def test_a_passing_run_is_recorded_outside_the_workspace_and_unblocks(tmp_path: Path):
    root = verified_workspace(tmp_path / "ws")
    refs = ["tests/test_pay.py::test_pay_rounds", "tests/test_pay.py::test_saved_changes_are_there"]
    write_draft(root, rounding("round", refs))
    before = (root / "src" / "checkout.py").read_text()
    rows = {r["id"]: r for r in json.loads(cli(root, "draft", "list", "--json").stdout)}
    assert rows["round"]["gate"] == "blocked" and "verified" in rows["round"]["reason"]

    result = cli(root, "verify", "round")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("verify round: passed (exit 0")
    assert (root / "src" / "checkout.py").read_text() == before  # the workspace is untouched
    assert git(root, "worktree", "list").count("\n") == 1  # the scratch worktree is gone
    changed = git(root, "status", "--porcelain").splitlines()
    assert changed == [" M src/checkout.py", "?? .stitch/drafts/"]

    rows = {r["id"]: r for r in json.loads(cli(root, "draft", "list", "--json").stdout)}
    assert rows["round"]["gate"] == "actionable"
    shown = json.loads(cli(root, "draft", "show", "round", "--json").stdout)
    assert shown["verification"]["outcome"] == "passed"
    assert (
        shown["verification"]["command"][-2:] == refs
        and "2 passed" in shown["verification"]["tail"]
    )

    applied = cli(root, "draft", "apply", "round")
    assert applied.returncode == 0, applied.stderr
    entry = json.loads(cli(root, "log", "--format", "json").stdout)[0]
    assert entry["verification"]["outcome"] == "passed"
    assert "evidence verified here: passed" in cli(root, "log").stdout


def test_a_failing_run_fails_blocks_and_a_changed_draft_loses_its_verification(tmp_path: Path):
    root = verified_workspace(tmp_path / "ws")
    write_draft(root, rounding("nothing", ["tests/test_pay.py::test_nothing"]))
    result = cli(root, "verify", "nothing")
    assert result.returncode == 1 and result.stdout.startswith("verify nothing: failed")
    rows = {r["id"]: r for r in json.loads(cli(root, "draft", "list", "--json").stdout)}
    assert rows["nothing"]["reason"].startswith("its own evidence failed: verification run")

    # without the draft the test fails: the scratch tree holds the draft, not just HEAD
    write_draft(root, rounding("round", ["tests/test_pay.py::test_pay_rounds"]))
    assert cli(root, "verify", "round").returncode == 0
    changed = rounding("round", ["tests/test_pay.py::test_pay_rounds"], confidence=0.9)
    write_draft(root, changed)  # the agent rewrote it after it was verified
    rows = {r["id"]: r for r in json.loads(cli(root, "draft", "list", "--json").stdout)}
    assert rows["round"]["gate"] == "blocked"
    no_draft = rounding("noop", ["tests/test_pay.py::test_pay_rounds"])
    no_draft["edits"][0]["text"] = "return cart.total()"
    write_draft(root, no_draft)
    assert cli(root, "verify", "noop").returncode == 1


def test_it_says_when_it_cannot_run(tmp_path: Path):
    root = make_workspace(tmp_path / "ws")  # no [evidence] command in the team file
    write_draft(root, draft("d"))
    result = cli(root, "verify", "d")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("stitch-ls: verify d: could not run: the team file")
    assert cli(root, "verify", "nope").returncode == 2
