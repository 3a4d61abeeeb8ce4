"""The command line on the same core: every verb, and one clear error for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from person import stitch
from workspaces import draft, git, range_edit, write_draft


def cli(root: Path | None, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """The CLI as people and agents run it (a human-only verb by a person at a terminal)."""
    extra = ["--workspace", str(root)] if root is not None else []
    return stitch(*args, *extra, stdin=stdin, program=[sys.executable, "-m", "stitch_ls"])


def test_schema_is_generated_from_the_models():
    schemas = {}
    for kind, field in [("draft", "edits"), ("prompt", "options"), ("config", "agents")]:
        result = cli(None, "schema", kind)
        assert result.returncode == 0
        schemas[kind] = json.loads(result.stdout)
        assert field in schemas[kind]["properties"]
    # the records' rules reach the published schema: limits, patterns, empty defaults
    draft_fields = schemas["draft"]["properties"]
    assert draft_fields["confidence"]["maximum"] == 1.0
    assert draft_fields["id"]["pattern"] == "^[A-Za-z0-9._-]{1,128}$"
    assert draft_fields["sources"]["default"] == [] and draft_fields["sources"]["maxItems"] == 100
    assert schemas["draft"]["additionalProperties"] is False
    agents = schemas["config"]["$defs"]["AgentsPolicy"]["properties"]
    assert agents["irreversible_paths"]["default"] == []
    assert agents["confidence_floor"] == {
        "default": 0.65,
        "maximum": 1.0,
        "minimum": 0.0,
        "title": "Confidence Floor",
        "type": "number",
    }


def test_draft_add_validates_and_writes_atomically(workspace: Path):
    body = json.dumps(draft("from-stdin"))
    result = cli(workspace, "draft", "add", "-", stdin=body)
    assert result.returncode == 0, result.stderr
    written = workspace / ".stitch" / "drafts" / "from-stdin.json"
    assert json.loads(written.read_text())["id"] == "from-stdin"
    again = cli(workspace, "draft", "add", "-", stdin=body)
    assert again.returncode == 3 and "is pending" in again.stderr
    assert cli(workspace, "draft", "add", "--replace", "-", stdin=body).returncode == 0
    bad = json.dumps(draft("bad", confidence=3))
    result = cli(workspace, "draft", "add", "-", stdin=bad)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "stitch-ls: invalid draft: confidence: must be between 0 and 1"
    )
    assert not (workspace / ".stitch" / "drafts" / "bad.json").exists()
    assert sorted(p.name for p in (workspace / ".stitch" / "drafts").iterdir()) == [
        "from-stdin.json"
    ]


def test_draft_list_and_show(workspace: Path):
    write_draft(workspace, draft("ready"))
    write_draft(workspace, draft("parked", sources=[]))
    write_draft(
        workspace,
        draft(
            "gone",
            edits=[range_edit("src/checkout.py", 12, 4, "return cart.sum()", "return 0")],
        ),
    )
    (workspace / "src" / "twice.py").write_text("x = 1\n\nx = 1\n")
    write_draft(
        workspace, draft("moved", edits=[range_edit("src/twice.py", 1, 0, "x = 1", "x = 2")])
    )
    write_draft(
        workspace,
        draft(
            "migration",
            evidence=[],
            edits=[{"path": "migrations/0002.sql", "create": True, "text": "DROP TABLE t;\n"}],
        ),
    )
    rows = json.loads(cli(workspace, "draft", "list", "--json").stdout)
    assert {r["id"]: r["gate"] for r in rows} == {
        "ready": "actionable",
        "parked": "parked",
        "gone": "stale",
        "moved": "stale",
        "migration": "blocked",
    }
    assert {r["id"] for r in rows if r["irreversible"]} == {"migration"}
    lines = {
        line.split()[0]: line
        for line in cli(workspace, "draft", "list").stdout.splitlines()
        if not line.startswith(" ")
    }
    # one state word, one reason: never "stale: stale: …" or "blocked: blocked: …"
    assert lines["ready"].endswith("2 src  actionable")
    assert lines["parked"].endswith("parked — the draft cites no sources")
    assert lines["gone"].endswith("stale — src/checkout.py: the expected text is not in the file")
    assert lines["moved"].endswith(
        "stale — src/twice.py: the expected text moved and could not be re-anchored: "
        "it occurs 2 times"
    )
    assert lines["migration"].endswith(
        "blocked IRREVERSIBLE — an irreversible change needs passing test evidence"
    )
    for draft_id, line in lines.items():
        for word in ("stale", "blocked", "parked"):
            assert line.removeprefix(draft_id).count(word) <= 1, line

    shown = cli(workspace, "draft", "show", "ready")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert "state: actionable\n" in text
    assert "  [checked] doc: api/openapi.yaml — contract of record" in text
    assert "  [passed] test: tests/test_checkout.py::test_pay" in text
    assert (
        "--- a/src/checkout.py\n+++ b/src/checkout.py\n@@ -10,4 +10,4 @@\n"
        " \n \n def pay(cart):\n-    return cart.total()\n+    return round(cart.total(), 2)\n"
    ) in text
    assert "created 2026-11-28 09:12 UTC" in text  # no zone in the team file, TZ=UTC here
    as_json = json.loads(cli(workspace, "draft", "show", "ready", "--json").stdout)
    assert as_json["title"] == "Draft ready" and as_json["gate"] == "actionable"
    assert as_json["preview"].startswith("--- a/src/checkout.py")
    assert as_json["created"] == "2026-11-28T09:12:00Z"
    stale = cli(workspace, "draft", "show", "gone").stdout
    assert "state: stale — src/checkout.py: the expected text is not in the file" in stale
    assert "preview: none" in stale
    created = cli(workspace, "draft", "show", "migration").stdout
    assert "+++ b/migrations/0002.sql\n@@ -0,0 +1 @@\n+DROP TABLE t;" in created
    (workspace / "api" / "openapi.yaml").unlink()
    missing_source = cli(workspace, "draft", "show", "ready").stdout
    assert "  [missing] doc: api/openapi.yaml" in missing_source
    missing = cli(workspace, "draft", "show", "nope")
    assert missing.returncode == 1 and "no draft with id 'nope'" in missing.stderr


def test_draft_apply_on_disk_logs_and_log_prints_it(workspace: Path):
    write_draft(workspace, draft("ready"))
    result = cli(workspace, "draft", "apply", "ready")
    assert result.returncode == 0, result.stderr
    assert "return round(cart.total(), 2)" in (workspace / "src" / "checkout.py").read_text()
    log = cli(workspace, "log").stdout  # plain text, piped as on a terminal: no escapes
    assert log.startswith("Source log")
    assert "ACCEPTED: Draft ready" in log and "accepted by dev@example.com" in log
    assert "trusted because contract of record" in log and "\\" not in log
    md = cli(workspace, "log", "--format", "md").stdout
    assert md.startswith("# Source log") and "accepted by dev@example.com on " in md
    entries = json.loads(cli(workspace, "log", "--json").stdout)
    assert entries[0]["draft"] == "ready" and entries[0]["files"] == ["src/checkout.py"]
    again = cli(workspace, "draft", "apply", "ready")
    assert again.returncode == 3 and "was already applied" in again.stderr


def test_status_read_only_and_check(workspace: Path):
    assert cli(workspace, "read-only", "on").returncode == 2  # needs a reason
    assert cli(workspace, "read-only", "on", "--reason", "incident 42").returncode == 0
    text = cli(workspace, "status").stdout
    assert "read-only: ON — incident 42 (by dev@example.com" in text
    status = json.loads(cli(workspace, "status", "--json").stdout)
    assert status["read_only"]["reason"] == "incident 42"
    assert cli(workspace, "check").returncode == 0
    (workspace / ".stitch" / "config.toml").write_text("[agents]\nconfidence_floor = 1.7\n")
    failed = cli(workspace, "check")
    assert failed.returncode == 1 and "config.toml:2" in failed.stdout


def test_bad_arguments_are_one_line_errors(workspace: Path, tmp_path: Path):
    result = cli(workspace, "draft", "add", str(tmp_path / "missing.json"))
    assert result.returncode == 2 and result.stderr.startswith("stitch-ls: cannot read")
    assert cli(tmp_path / "nowhere", "status").returncode == 2


def test_check_fails_on_unsigned_points_and_over_cap_then_passes_once_signed(tmp_path: Path):
    from gitrepos import commit_on, git, stream_repo

    root = stream_repo(tmp_path / "ws")
    result = cli(root, "check")
    assert result.returncode == 1
    assert (
        "unsigned stitch point sp-" in result.stdout
        and "src/checkout.py Cart.total (will conflict)" in result.stdout
    )
    report = json.loads(cli(root, "check", "--json").stdout)
    [point] = report["stitch_points"]
    refused = cli(root, "sign-off", point["id"])
    assert refused.returncode == 3 and "only lead@example.com may sign off" in refused.stderr
    git(root, "config", "user.email", "lead@example.com")
    assert cli(root, "sign-off", point["id"]).returncode == 0
    assert cli(root, "check").returncode == 0
    commit_on(
        root,
        "stream/checkout/c",
        "src/checkout.py",
        "self.items = []",
        "self.items = [0]",
        "third stream",
    )
    over = cli(root, "check")
    assert over.returncode == 1 and "feature checkout has 3 active streams (cap 2)" in over.stdout


# Agent Trace v0.1's trace record, as its published JSON Schema states it
# (https://agent-trace.dev/schemas/v1/trace-record.json, in github.com/cursor/agent-trace at
# schemas/trace-record.json): the required fields, their types, enums, bounds and the closed
# objects, written out here (draft 2020-12) so the test runs offline.
def _closed(properties: dict, required: list[str]) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_CONTRIBUTOR = _closed(
    {
        "type": {"enum": ["human", "ai", "mixed", "unknown"]},
        "model_id": {"type": "string", "maxLength": 250},
    },
    ["type"],
)
_LINE = {"type": "integer", "minimum": 1, "maximum": 9007199254740991}
AGENT_TRACE_SCHEMA = _closed(
    {
        "version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+$"},
        "id": {
            "type": "string",
            "pattern": "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}"
            "-[0-9a-fA-F]{12}$",
        },
        "timestamp": {
            "type": "string",
            "pattern": "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d+)?)?Z$",
        },
        "vcs": _closed(
            {"type": {"enum": ["git", "jj", "hg", "svn"]}, "revision": {"type": "string"}},
            ["type", "revision"],
        ),
        "tool": _closed(
            {"name": {"type": "string"}, "version": {"type": "string"}}, ["name", "version"]
        ),
        "files": {
            "type": "array",
            "items": _closed(
                {
                    "path": {"type": "string"},
                    "conversations": {
                        "type": "array",
                        "items": _closed(
                            {
                                "url": {"type": "string"},
                                "contributor": _CONTRIBUTOR,
                                "ranges": {
                                    "type": "array",
                                    "items": _closed(
                                        {
                                            "start_line": _LINE,
                                            "end_line": _LINE,
                                            "content_hash": {"type": "string"},
                                            "contributor": _CONTRIBUTOR,
                                        },
                                        ["start_line", "end_line"],
                                    ),
                                },
                                "related": {"type": "array"},
                            },
                            ["ranges"],
                        ),
                    },
                },
                ["path", "conversations"],
            ),
        },
        "metadata": {"type": "object"},
    },
    ["version", "id", "timestamp", "files"],
)


def validate_agent_trace(record: dict) -> None:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(AGENT_TRACE_SCHEMA)
    jsonschema.Draft202012Validator(AGENT_TRACE_SCHEMA).validate(record)


def test_log_as_agent_trace_records(workspace: Path):
    import os

    # the workspace's commit an hour before the apply (git counts whole seconds: one made in
    # the apply's own second would be a candidate for the commit that holds its lines)
    import time
    import uuid

    earlier = f"@{int(time.time()) - 3600} +0000"
    hour_ago = {"GIT_COMMITTER_DATE": earlier, "GIT_AUTHOR_DATE": earlier}
    subprocess.run(
        ["git", "commit", "-q", "--amend", "--no-edit"],
        cwd=workspace,
        env={**os.environ, **hour_ago},
        check=True,
    )
    body = draft("ready")
    body["edits"].append(
        {"path": "tests/test_new.py", "create": True, "text": "def test_a():\n    pass\n"}
    )
    write_draft(workspace, body)
    assert cli(workspace, "draft", "apply", "ready").returncode == 0
    waiting = cli(workspace, "log", "--format", "agent-trace")
    assert waiting.returncode == 0 and waiting.stdout == ""  # no commit holds the lines yet
    assert "1 applied drafts not yet committed: exported once they are" in waiting.stderr
    # a person adds two lines above the applied one before committing: in that commit the
    # applied line (13 when applied) is line 15, and the record says so
    checkout = workspace / "src" / "checkout.py"
    checkout.write_text("# header\n# more\n" + checkout.read_text())
    git(workspace, "add", "-A")
    git(workspace, "commit", "-q", "-m", "the applied draft")
    revision = git(workspace, "rev-parse", "HEAD").strip()
    git(workspace, "commit", "-q", "--allow-empty", "-m", "later")
    result = cli(workspace, "log", "--format", "agent-trace")
    assert result.returncode == 0, result.stderr
    assert "not yet committed" not in result.stderr
    [line] = result.stdout.splitlines()
    record = json.loads(line)
    validate_agent_trace(record)
    assert record["version"] == "0.1"
    assert uuid.UUID(record["id"]).version == 5
    assert record["timestamp"].endswith("Z") and "T" in record["timestamp"]
    assert record["vcs"] == {"type": "git", "revision": revision}  # not HEAD: the first commit
    assert record["tool"]["name"] == "stitch"
    assert record["files"] == [
        {
            "path": "src/checkout.py",
            "conversations": [
                {"contributor": {"type": "ai"}, "ranges": [{"start_line": 15, "end_line": 15}]}
            ],
        },
        {
            "path": "tests/test_new.py",
            "conversations": [
                {"contributor": {"type": "ai"}, "ranges": [{"start_line": 1, "end_line": 2}]}
            ],
        },
    ]
    meta = record["metadata"]["dev.stitch"]
    assert meta["confidence"] == 0.82 and meta["sources"][0]["why"] == "contract of record"
    assert meta["accepted_by"] == "dev@example.com" and meta["agent"] == "claude-code"
    assert set(record) <= {"version", "id", "timestamp", "vcs", "tool", "files", "metadata"}


def test_claims_that_do_not_hold_are_said_everywhere(workspace: Path):
    """The field report's case: a DROP TABLE migration citing a doc that does not exist and a
    test `test_nothing` marked passed was "ready to apply"; a draft listing its own test as
    failed was "ready to apply"."""
    ghost = [
        {"kind": "doc", "ref": "docs/does-not-exist.md", "why": "migration plan"},
        {"kind": "test", "ref": "tests/test_checkout.py::test_nothing", "why": "it passes"},
    ]
    drop = draft("drop", sources=ghost, irreversible=True, confidence=0.99)
    drop["evidence"] = [{"ref": "tests/test_checkout.py::test_nothing", "status": "passed"}]
    write_draft(workspace, drop)
    write_draft(workspace, draft("ghost", sources=ghost))
    red = [{"ref": "tests/test_x.py::test_y", "status": "failed"}]
    write_draft(workspace, draft("red", evidence=red, confidence=1.0))
    some = [*ghost, {"kind": "doc", "ref": "api/openapi.yaml", "why": "contract"}]
    write_draft(workspace, draft("some", sources=some))

    rows = {r["id"]: r for r in json.loads(cli(workspace, "draft", "list", "--json").stdout)}
    assert rows["drop"]["gate"] == "blocked" and "needs sources" in rows["drop"]["reason"]
    assert rows["ghost"]["gate"] == "parked"
    assert rows["ghost"]["reason"] == "parked: all 2 sources missing"
    assert rows["red"]["reason"] == "its own evidence failed: tests/test_x.py::test_y"
    assert rows["some"]["gate"] == "actionable" and rows["some"]["sources_missing"] == 2
    text = cli(workspace, "draft", "list").stdout
    assert "3 src (2 missing)  actionable" in text
    shown = json.loads(cli(workspace, "draft", "show", "ghost", "--json").stdout)
    assert [c["status"] for c in shown["source_checks"]] == ["missing", "missing"]
    assert "defines no test_nothing" in shown["source_checks"][1]["detail"]
    status = json.loads(cli(workspace, "status", "--json").stdout)
    assert status["drafts"]["parked"] == 1 and status["drafts"]["blocked"] == 2
    assert status["trust"]["used"] == 2  # the unsourced: both cite only missing sources
    refused = cli(workspace, "draft", "apply", "red")
    assert refused.returncode == 3 and "its own evidence failed" in refused.stderr


def test_init_sets_a_repository_up_in_one_command_and_is_idempotent(tmp_path: Path):
    from stitch_ls.core.policy.config import TeamConfig, load_team_config

    root = tmp_path / "repo"
    root.mkdir()
    git_init = subprocess.run(["git", "init", "-q", "-b", "main", str(root)], capture_output=True)
    assert git_init.returncode == 0
    (root / ".gitattributes").write_text("*.png binary")  # theirs, no final newline
    first = cli(root, "init")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        ".stitch/config.toml: created (a starter team file)",
        ".stitch/.gitignore: created (local files)",
        ".gitattributes: added .stitch/source-log.jsonl merge=union",
        # what the starter asks of irreversible drafts (no [evidence] command yet: claimed)
        "irreversible drafts: need claimed evidence (default (no [evidence] command to verify "
        "with)): an irreversible draft passes on its agent's own word that its tests passed "
        "(the tests it names must exist; nobody here ran them); name a test command under "
        "[evidence] and they need verified evidence instead",
        # the person who ran init approved it: no base branch has a team file yet
        ".stitch/config.toml: approved by you (in force until one is committed on the base branch)",
    ]
    assert json.loads(cli(root, "status", "--json").stdout)["policy"]["from"] == "working copy"
    starter = (root / ".stitch" / "config.toml").read_text()
    assert isinstance(load_team_config(starter), TeamConfig)
    assert starter.count("#") > 10  # commented
    assert (root / ".gitattributes").read_text() == (
        "*.png binary\n.stitch/source-log.jsonl merge=union\n"
    )
    attr = subprocess.run(
        ["git", "check-attr", "merge", ".stitch/source-log.jsonl"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert attr.stdout.strip().endswith("merge: union")
    # everything local stays out of `git add -A`, the shared files go in
    stitch = root / ".stitch"
    for local in ("drafts/d.json", "prompts/p.json", "state.json", ".lock", ".apply.lock"):
        (stitch / local).parent.mkdir(parents=True, exist_ok=True)
        (stitch / local).write_text("{}")
    for shared in ("source-log.jsonl", "signoffs.jsonl"):
        (stitch / shared).write_text("")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=root, capture_output=True, text=True
    ).stdout.split()
    assert sorted(staged) == [
        ".gitattributes",
        ".stitch/.gitignore",
        ".stitch/config.toml",
        ".stitch/signoffs.jsonl",
        ".stitch/source-log.jsonl",
    ]
    (stitch / "config.toml").write_text("[agents]\nconfidence_floor = 0.9\n")
    again = cli(root, "init")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[:3] == [
        ".stitch/config.toml: kept as it is",
        ".stitch/.gitignore: already set up",
        ".gitattributes: already set up",
    ]
    assert again.stdout.splitlines()[3].startswith("irreversible drafts: need claimed evidence")
    assert len(again.stdout.splitlines()) == 4
    assert (stitch / "config.toml").read_text() == "[agents]\nconfidence_floor = 0.9\n"


def test_version():
    from stitch_ls import __version__

    result = cli(None, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"stitch-ls {__version__}"


def test_status_counts_add_up_with_agent_commits_and_prompts(tmp_path: Path):
    from gitrepos import STREAM_TEAM, commit_on
    from workspaces import make_workspace

    root = make_workspace(tmp_path / "ws", STREAM_TEAM)
    commit_on(  # an agent's commit: one more draft, below the floor (no confidence)
        root,
        "stream/checkout/b",
        "src/checkout.py",
        "return cart.total()",
        "return cart.total() + 1",
        "Pay one more\n\nStitch-Source: doc docs/money.md | rule\nStitch-Agent: codex",
    )
    (root / ".stitch" / "drafts").mkdir(exist_ok=True)
    write_draft(root, draft("ready"))
    write_draft(root, draft("low", confidence=0.3))  # below the floor: counted too
    write_draft(root, draft("parked", sources=[]))
    write_draft(root, draft("stale", edits=[range_edit("src/checkout.py", 12, 4, "nope", "x")]))
    (root / ".stitch" / "drafts" / "broken.json").write_text("{")
    asked = cli(root, "ask", "Which currency?", "--option", "EUR", "--option", "USD", "--id", "q1")
    assert asked.returncode == 0, asked.stderr
    status = json.loads(cli(root, "status", "--json").stdout)
    drafts = status["drafts"]
    assert drafts["pending"] == 6
    assert drafts["pending"] == sum(v for k, v in drafts.items() if k != "pending")
    assert drafts["below_floor"] == 2 and drafts["actionable"] == 1
    assert status["prompts"] == {"pending": 1}
    text = cli(root, "status").stdout
    assert (
        "drafts: 6 pending = 1 actionable + 1 parked + 1 stale + 1 invalid + 2 below-floor\n"
        in text
    )
    assert "prompts: 1 pending" in text

    listed = cli(root, "prompts")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("q1: cli (local) asks, ")
    assert "Which currency?\n    options: 1) EUR, 2) USD" in listed.stdout
    assert json.loads(cli(root, "prompts", "--json").stdout)[0]["options"] == ["EUR", "USD"]
    wrong = cli(root, "answer", "q1", "GBP")
    assert wrong.returncode == 2 and "'GBP' is not one of the options (EUR, USD)" in wrong.stderr
    answered = cli(root, "answer", "q1", "2")
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.strip() == "answered q1: USD"
    prompt = json.loads((root / ".stitch" / "prompts" / "q1.json").read_text())
    assert prompt["answer"] == "USD" and prompt["answered_by"] == "dev@example.com"
    assert cli(root, "prompts").stdout.strip() == "no pending prompts"
    assert json.loads(cli(root, "status", "--json").stdout)["prompts"] == {"pending": 0}
    again = cli(root, "answer", "q1", "EUR")
    assert again.returncode == 3 and "already answered: USD" in again.stderr


def test_times_read_in_the_team_zone_to_the_minute_json_keeps_utc(workspace: Path):
    import re

    (workspace / ".stitch" / "config.toml").write_text(
        '[quiet_hours]\ntimezone = "Asia/Tokyo"\n[[quiet_hours.windows]]\n'
        'days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
        'start = "03:00"\nend = "03:01"\n'
    )
    git(workspace, "commit", "-qam", "the team's zone")  # the base branch's team file rules
    assert cli(workspace, "read-only", "on", "--reason", "incident").returncode == 0
    text = cli(workspace, "status").stdout
    mine = r"(?: \((?:\d{4}-\d\d-\d\d )?\d\d:\d\d your time\))?"  # unless the reader is in JST
    since = re.search(rf"since (\S+ \S+ \S+{mine})\)", text)
    assert since and re.fullmatch(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d JST{mine}", since.group(1)), text
    assert re.search(
        rf"quiet: (off \(next \d{{4}}-\d\d-\d\d 03:00 JST{mine}\)|on until .* 03:01 JST)", text
    )
    status = json.loads(cli(workspace, "status", "--json").stdout)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", status["read_only"]["since"])
    assert status["zone"] == "Asia/Tokyo"
    # the same instant reads the same in every door: the gate's reason (LSP, list) too
    write_draft(workspace, draft("held"))
    row = json.loads(cli(workspace, "draft", "list", "--json").stdout)[0]
    assert f"since {since.group(1)}, by dev@example.com" in row["reason"]


def test_created_defaults_to_the_moment_the_draft_is_added(workspace: Path):
    from datetime import UTC, datetime, timedelta

    body = draft("undated")
    del body["created"]
    before = datetime.now(UTC)
    added = cli(workspace, "draft", "add", "-", stdin=json.dumps(body))
    assert added.returncode == 0, added.stderr
    written = json.loads((workspace / ".stitch" / "drafts" / "undated.json").read_text())
    created = datetime.fromisoformat(written["created"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    schema = json.loads(cli(None, "schema", "draft").stdout)
    assert "created" not in schema["required"]


def test_the_starter_team_file_is_the_readmes_example():
    import re
    import tomllib

    from stitch_ls.core.policy.config import TeamConfig, load_team_config
    from stitch_ls.starter import STARTER_CONFIG

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    example = re.search(r"## Team policy.*?```toml\n(.*?)```", readme, re.S).group(1)
    assert isinstance(load_team_config(example), TeamConfig)
    uncommented = "\n".join(
        line.lstrip("# ") if re.match(r"#\s*(\[|\w+ = )", line) else line
        for line in STARTER_CONFIG.splitlines()
    )
    assert isinstance(load_team_config(uncommented), TeamConfig)
    assert set(tomllib.loads(example)) == set(tomllib.loads(uncommented))
    for section, values in tomllib.loads(example).items():
        assert set(values) <= set(tomllib.loads(uncommented)[section]) | {"checkout"}, section


def test_an_agent_withdraws_its_own_draft_from_the_command_line(workspace: Path):
    write_draft(workspace, draft("mine"))  # claude-code's
    refused = cli(workspace, "draft", "withdraw", "mine", "--agent", "cursor")
    assert refused.returncode == 3, refused
    assert refused.stderr.startswith("stitch-ls: refused: draft 'mine' is claude-code's, not")
    done = cli(workspace, "draft", "withdraw", "mine", "--agent", "claude-code")
    assert done.returncode == 0 and done.stdout == (
        "withdrew draft mine (claude-code's); it is no longer in the inbox\n"
    )
    assert not (workspace / ".stitch" / "drafts" / "mine.json").exists()
    again = cli(workspace, "draft", "withdraw", "mine", "--agent", "claude-code")
    assert "no draft with id 'mine'" in again.stderr


def test_the_html_log_counts_nests_facts_and_links_commits(workspace: Path):
    sha = "3f2a9c1d0b7e"
    body = draft(
        "linked",
        sources=[
            {"kind": "commit", "ref": sha, "why": "the fix upstream"},
            {"kind": "doc", "ref": "api/openapi.yaml", "why": "contract of record"},
        ],
    )
    write_draft(workspace, body)
    write_draft(workspace, draft("turned-down"))
    assert cli(workspace, "draft", "apply", "linked").returncode == 0
    assert cli(workspace, "draft", "reject", "turned-down", "--reason", "no").returncode == 0
    git(workspace, "remote", "add", "origin", "git@github.com:acme/shop.git")
    page = cli(workspace, "log", "--format", "html").stdout
    assert '<p class="counts">1 accepted, 1 rejected.</p>' in page
    # the facts under their line, as a list, not lines starting with "- "
    assert "<li>facts used:<ul><li>commit: " in page and "<li>- " not in page
    link = f'<a href="https://github.com/acme/shop/commit/{sha}">{sha}</a>'
    assert f"<li>commit: {link} (trusted because the fix upstream)</li>" in page
    # another scheme: the id is shown, not linked
    git(workspace, "remote", "set-url", "origin", "file:///srv/git/shop.git")
    page = cli(workspace, "log", "--format", "html").stdout
    assert f"<li>commit: {sha} (trusted" in page and "<a href" not in page
