"""Irreversible means tested: where the team has a test command, an irreversible draft needs
evidence run here by default; "claimed" is a choice the status and `init` spell out; and a
claim about a test that does not exist counts for nothing, as a missing source does."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli import cli
from workspaces import TEAM, draft, git, make_workspace, write_draft

CLAIMED = TEAM.replace(
    'irreversible_paths = ["migrations/**"]',
    'irreversible_paths = ["migrations/**"]\nirreversible_requires = "claimed"',
)
WITH_COMMAND = TEAM + '\n[evidence]\ncommand = ["pytest", "-q", "{refs}"]\n'


def drop_table(draft_id: str, evidence_ref: str, **overrides: object) -> dict[str, object]:
    """An irreversible draft (a new migration) claiming a passing test."""
    body = draft(
        draft_id,
        title="Drop the legacy table",
        evidence=[{"kind": "test", "ref": evidence_ref, "status": "passed"}],
        edits=[
            {
                "path": f"migrations/{draft_id}.sql",
                "create": True,
                "text": "DROP TABLE legacy_orders;\n",
            }
        ],
    )
    body.update(overrides)
    return body


def listed(root: Path) -> dict[str, dict[str, object]]:
    result = cli(root, "draft", "list", "--json")
    assert result.returncode == 0, result.stderr
    return {row["id"]: row for row in json.loads(result.stdout)}


def test_claimed_evidence_naming_a_test_that_does_not_exist_counts_as_missing(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", CLAIMED)
    write_draft(root, drop_table("nowhere", "tests/does_not_exist.py::test_x"))
    write_draft(root, drop_table("no-such-test", "tests/test_checkout.py::test_no_such_thing"))
    write_draft(root, drop_table("real", "tests/test_checkout.py::test_pay"))
    own = drop_table("own-test", "tests/test_migration.py::test_drop")
    own["edits"].append(  # type: ignore[attr-defined]
        {"path": "tests/test_migration.py", "create": True, "text": "def test_drop():\n    pass\n"}
    )
    write_draft(root, own)
    rows = listed(root)
    for missing, ref in (
        ("nowhere", "tests/does_not_exist.py::test_x"),
        ("no-such-test", "tests/test_checkout.py::test_no_such_thing"),
    ):
        assert rows[missing]["gate"] == "blocked" and rows[missing]["irreversible"]
        assert rows[missing]["reason"] == (
            f"blocked: an irreversible change needs passing test evidence (no such test: {ref})"
        )
    assert rows["real"]["gate"] == "actionable"  # the test is in the repository
    assert rows["own-test"]["gate"] == "actionable"  # the draft brings its test along
    show = json.loads(cli(root, "draft", "show", "nowhere", "--json").stdout)
    assert show["evidence_checks"] == [
        {
            "ref": "tests/does_not_exist.py::test_x",
            "status": "missing",
            "detail": "tests/does_not_exist.py does not exist",
        }
    ]


def test_an_agent_commits_evidence_is_looked_up_in_its_commit(tmp_path: Path):
    """An agent commit's draft: the test it names may exist only on its stream, at its commit."""
    root = make_workspace(tmp_path / "ws", CLAIMED)
    (root / "migrations").mkdir()
    (root / "migrations" / "001.sql").write_text("SELECT 1;\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a migration")
    git(root, "checkout", "-q", "-b", "stream/db/a")
    (root / "migrations" / "001.sql").write_text("DROP TABLE legacy_orders;\n")
    (root / "tests" / "test_db.py").write_text("def test_drop():\n    pass\n")
    git(root, "add", "-A")
    git(
        root,
        "commit",
        "-q",
        "-m",
        "Drop the legacy table\n\nStitch-Source: doc docs/money.md | the plan\n"
        "Stitch-Confidence: 0.9\nStitch-Evidence: passed tests/test_db.py::test_drop\n"
        "Stitch-Evidence: passed tests/test_db.py::test_gone",
    )
    git(root, "checkout", "-q", "main")
    rows = listed(root)
    [migration] = [row for i, row in rows.items() if "migrations" in str(row["paths"])]
    assert migration["gate"] == "actionable", migration  # test_drop is there, at the commit
    show = json.loads(cli(root, "draft", "show", str(migration["id"]), "--json").stdout)
    assert [c["status"] for c in show["evidence_checks"]] == ["checked", "missing"]


def test_verified_is_the_default_where_the_team_has_a_test_command(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", WITH_COMMAND)
    write_draft(root, drop_table("real", "tests/test_checkout.py::test_pay"))
    row = listed(root)["real"]
    assert row["gate"] == "blocked"
    assert row["reason"] == (
        "blocked: an irreversible change needs verified passing test evidence (run stitch-ls verify)"
    )
    status = json.loads(cli(root, "status", "--json").stdout)
    assert status["irreversible"]["requires"] == "verified"
    assert status["irreversible"]["from"] == "default ([evidence] names a command)"
    text = cli(root, "status").stdout
    assert "irreversible drafts: need verified evidence" in text

    claimed = make_workspace(tmp_path / "claimed", CLAIMED + WITH_COMMAND.removeprefix(TEAM))
    write_draft(claimed, drop_table("real", "tests/test_checkout.py::test_pay"))
    assert listed(claimed)["real"]["gate"] == "actionable"  # chosen explicitly: the claim holds
    text = cli(claimed, "status").stdout
    assert (
        "irreversible drafts: need claimed evidence (team file): an irreversible draft passes "
        "on its agent's own word that its tests passed" in text
    )


def test_init_writes_the_default_and_says_what_claimed_would_allow(tmp_path: Path):
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    result = cli(root, "init")
    assert result.returncode == 0, result.stderr
    config = (root / ".stitch" / "config.toml").read_text()
    assert "\nirreversible_requires" not in config  # the default, not a choice made for you
    assert '# irreversible_requires = "claimed"' in config
    assert "irreversible drafts: need claimed evidence" in result.stdout
    assert "an irreversible draft passes on its agent's own word" in result.stdout


def test_an_applied_irreversible_change_is_marked_in_every_view_and_counted(tmp_path: Path):
    root = make_workspace(tmp_path / "ws", CLAIMED)
    write_draft(root, drop_table("drop", "tests/test_checkout.py::test_pay"))
    applied = cli(root, "draft", "apply", "drop")
    assert applied.returncode == 0, applied.stderr
    [line] = (root / ".stitch" / "source-log.jsonl").read_text().splitlines()
    assert json.loads(line)["irreversible"] is True
    assert "ACCEPTED (IRREVERSIBLE): Drop the legacy table" in cli(root, "log").stdout
    assert "irreversible: it cannot simply be undone" in cli(root, "log").stdout
    markdown = cli(root, "log", "--format", "md").stdout
    assert "## Accepted (irreversible): Drop the legacy table" in markdown
    page = cli(root, "log", "--format", "html").stdout
    assert '<section class="event accepted irreversible"' in page
    assert '<span class="mark">irreversible</span>' in page
    assert json.loads(cli(root, "log", "--json").stdout)[0]["irreversible"] is True
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "drop it")
    trace = cli(root, "log", "--format", "agent-trace")
    [record] = [json.loads(x) for x in trace.stdout.splitlines()]
    assert record["metadata"]["dev.stitch"]["irreversible"] is True
    report = json.loads(cli(root, "report", "--json").stdout)
    assert report["by_agent"]["claude-code"]["irreversible"] == 1
    text = cli(root, "report").stdout
    assert "| claude-code | 1 | 1 | 1 |" in text  # nothing in the name Markdown would misread
