"""The VS Code extension: its unit tests and lint, and an end-to-end run in real VS Code.

The extension is built once per session: `client-vscode/scripts/setup-e2e.sh` installs what is
missing (npm packages, Debian's chromium; idempotent, so a second run costs a second), then
`npm run package` builds and packages it afresh, so the end-to-end run always drives the
sources as they are. That run (client-vscode/e2e/run.mjs) starts code-server (VS Code 1.100.3)
with the packaged extension and this interpreter's server, drives it with headless Chromium,
and prints one JSON line of what it saw; screenshots land in client-vscode/e2e/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from workspaces import draft, make_workspace, write_draft

CLIENT = Path(__file__).resolve().parents[2] / "client-vscode"
VSIX = CLIENT / "dist" / "stitch.vsix"


def run_npm(
    args: list[str], cwd: Path = CLIENT, timeout: float = 300
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["npm", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false"},
        stdin=subprocess.DEVNULL,
    )


def output_of(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-6000:]}\n--- stderr\n{proc.stderr[-6000:]}"


@pytest.fixture(scope="session")
def vscode_client() -> Path:
    """client-vscode with its npm packages, e2e/'s packages and a fresh dist/stitch.vsix."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("Node.js and npm are needed for the VS Code extension's tests")
    setup = subprocess.run(
        ["bash", str(CLIENT / "scripts" / "setup-e2e.sh")],
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert setup.returncode == 0, f"setup-e2e.sh failed\n{output_of(setup)}"
    package = run_npm(["run", "package"])
    assert package.returncode == 0, f"npm run package failed\n{output_of(package)}"
    assert VSIX.is_file()
    return CLIENT


READY = "Apply draft: Round the total — 0.82 · 2 sources · checkout/a/claude-code"


@pytest.mark.timeout(900)
def test_unit_tests_and_lint(vscode_client: Path):
    tests = run_npm(["test"], timeout=180)
    assert tests.returncode == 0, output_of(tests)
    assert "ℹ fail 0" in tests.stdout, output_of(tests)
    lint = run_npm(["run", "lint"], timeout=180)
    assert lint.returncode == 0, output_of(lint)


def processes_using(folder: str) -> list[str]:
    """Live processes whose command line mentions `folder` (a run's temp folder) or whose
    working directory is inside it (the Python server runs in the workspace)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if folder in cmdline or cwd.startswith(folder):
            found.append(f"{proc.name}: {cmdline[:200]} (in {cwd})")
    return found


@pytest.mark.timeout(900)
def test_vscode_end_to_end(vscode_client: Path, tmp_path: Path):
    ws = make_workspace(tmp_path / "ws")
    write_draft(ws, draft("ready", title="Round the total"))
    write_draft(ws, draft("low", title="Rewrite pay", confidence=0.51))
    prompt = {
        "version": 1,
        "id": "db-choice",
        "agent": "claude-code",
        "stream": "checkout/a",
        "question": "Which database for the ledger?",
        "options": ["Postgres", "SQLite"],
        "sources": [],
    }
    (ws / ".stitch" / "prompts").mkdir(exist_ok=True)
    (ws / ".stitch" / "prompts" / "db-choice.json").write_text(json.dumps(prompt))
    env = {
        **os.environ,
        "STITCH_PYTHON": sys.executable,
        "STITCH_E2E_TIMEOUT": "180",
        "STITCH_E2E_WORKSPACE": str(ws),
    }
    runner = subprocess.Popen(
        ["node", str(vscode_client / "e2e" / "run.mjs")],
        cwd=vscode_client / "e2e",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = runner.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(runner.pid, signal.SIGKILL)
        stdout, stderr = runner.communicate()
        pytest.fail(
            f"the end-to-end run hung past its own watchdog\n{stdout[-3000:]}\n{stderr[-3000:]}"
        )

    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert lines, f"no JSON result (exit {runner.returncode})\n{stdout[-3000:]}\n{stderr[-3000:]}"
    result = json.loads(lines[-1])
    report = json.dumps(result, indent=1, ensure_ascii=False)[-8000:]
    assert result["ok"] is True, f"{result.get('error')}\n{report}\n{stderr[-3000:]}"
    assert runner.returncode == 0, report

    checks = result["checks"]
    assert " ".join(checks["status_bar"].split()) == "Stitch: 1 draft · 1 prompt"  # an icon's gap
    # the prompt: shown at start, dismissed, listed and shown again by "Pending Prompts"
    # (the server's stitch.pendingPrompts), answered with its button
    assert checks["prompt_shown"] is True
    assert "Which database for the ledger?" in checks["prompts_pick"]
    assert "claude-code (checkout/a) asks" in checks["prompts_pick"]
    assert "Options: Postgres / SQLite" in checks["prompts_pick"]
    assert checks["prompts_pick_title"] == "Stitch: 1 pending prompt"
    assert checks["prompt_answer"] == "Postgres"
    assert checks["status_after_answer"] == "Stitch: 1 draft"
    assert READY in checks["quick_fix_focus_order"]
    # VS Code 1.100's Ctrl+. menu leaves disabled actions out; the kind-filtered menu shows
    # the below-floor draft greyed out after "Show Disabled".
    assert checks["below_floor"] in ("absent", "disabled")
    assert checks["below_floor_with_show_disabled"] == "disabled"
    # where the engineer looks without "Show Disabled": the hover says why it is held
    assert "Cannot be applied now — below the floor: 0.51 < floor 0.65" in checks["hover"]
    assert checks["applied_line"] == "return round(cart.total(), 2)"
    # accepted means kept: applied then undone and saved, applied then closed without saving,
    # applied then saved: two "not kept" lines, then one "accepted"
    assert " ".join(checks["status_unsaved"].split()) == "Stitch · 1 unsaved"
    kept = checks["kept"]
    assert (kept["undo"]["event"], kept["undo"]["draft"]) == ("not kept", "ready")
    undone = "src/checkout.py: undone or reverted in the editor before it was saved"
    assert kept["undo"]["what"] == undone
    # "Revert and Close": the revert or the close, whichever the server sees first
    assert kept["close"]["event"] == "not kept"
    assert kept["close"]["what"] in (undone, "src/checkout.py: closed without saving")
    assert (kept["save"]["event"], kept["save"]["accepted_by"]) == ("accepted", "dev@example.com")
    assert checks["source_log"] == "ready"
    assert checks["status_after_apply"] == "Stitch"
    # the time as the server formats it (core.timefmt), as in the CLI and Neovim
    assert re.fullmatch(
        r"Stitch: quiet until \d{4}-\d\d-\d\d \d\d:\d\d \S+( · \d+ queued)?",
        checks["status_focus"],
    )
    assert checks["status_focus_ended"] == "Stitch"
    assert "Rewrite pay" in checks["draft_pick"]
    assert "stale: " in checks["draft_pick"]  # the list says why it cannot be applied
    assert "Cannot be applied now — stale: " in checks["draft_dialog"]
    assert checks["draft_dialog_buttons"] == ["Cancel", "Reject"]  # stale: no Apply
    assert "contract of record" in checks["draft_dialog"]
    assert "Confidence floor: 0.65 (team file)" in checks["status_dialog"]
    assert (
        checks["source_log_tab"].startswith("Source log")
        and "ACCEPTED:" in checks["source_log_tab"]
    )
    assert "ASKED: Which database for the ledger?" in checks["source_log_tab"]
    assert re.search(
        r"answered by \S+ through the editor \(made on this machine\) on \d{4}-\d\d-\d\d \d\d:\d\d \S+: Postgres",
        checks["source_log_tab"],
    )
    assert checks["status_read_only"] == "Stitch: read-only"
    assert checks["state_read_only"]["on"] is True
    assert checks["state_read_only"]["reason"] == "e2e: checking the switch"
    assert checks["status_no_server"] == "Stitch: no server"
    assert len(checks["no_server_messages"]) == 1
    assert checks["no_server_has_setup_button"] is True
    assert "readme" in checks["setup_opened"].lower()
    assert checks["status_restarted"] == "Stitch: read-only"
    # two streams then change Cart.total: the point's streams compared in a diff (#19)
    assert "1 stitch point" in checks["status_stitch_point"]
    assert any("checkout/a" in row for row in checks["compare_pick"])
    assert any("Every stream" in row for row in checks["compare_pick"])
    assert "checkout/b ↔ yours" in checks["compare_diff"]["tab"]
    assert "return round(cart.total(), 2)" in checks["compare_diff"]["modified"]
    assert len(result["screenshots"]) >= 8
    assert all(Path(shot).is_file() for shot in result["screenshots"])

    # code-server, the extension host, the Python server and Chromium are all gone.
    assert result.get("left_behind") is None
    assert processes_using(result["tmp"]) == []
    assert processes_using(str(ws)) == []
    assert not Path(result["tmp"]).exists()
