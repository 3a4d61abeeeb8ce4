"""Stitch in a real headless Neovim: code actions, apply, diagnostics, quiet hours, commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nvim_harness import run_nvim
from stitch_ls.core.files.paths import StitchPaths
from workspaces import TEAM, draft, make_workspace, non_ascii_workspace, range_edit, write_draft

CHECKOUT = "src/checkout.py"


def test_drafts_apply_and_user_commands(workspace: Path):
    write_draft(workspace, draft("ready"))
    write_draft(workspace, draft("low", confidence=0.51))
    second = draft("init-items", title="Typed items")
    second["edits"][0] = range_edit(CHECKOUT, 5, 8, "self.items = []", "self.items: list[int] = []")
    write_draft(workspace, second)
    report = run_nvim(
        workspace,
        CHECKOUT,
        r"""
    ready()
    R.encoding = client().offset_encoding
    wait(function() return #vim.diagnostic.get(0) >= 3 end, 5000, 'draft diagnostics')
    R.diagnostics = vim.tbl_map(function(d) return d.message end, vim.diagnostic.get(0))
    R.actions = actions(13, 8)
    local result, err = run('stitch.applyDraft', { 'ready' })
    R.apply_err = err
    wait(function() return vim.api.nvim_buf_get_lines(0, 12, 13, false)[1]:find('round', 1, true) ~= nil end, 5000, 'edit')
    R.line13 = vim.api.nvim_buf_get_lines(0, 12, 13, false)[1]
    wait(function() return S.status.drafts.unsaved == 1 end, 8000, 'waiting to be saved')
    vim.cmd('write')  -- accepted once saved
    wait(function() return S.status.drafts.unsaved == 0 end, 8000, 'the apply kept')

    vim.cmd('StitchReadOnly on testing the switch')
    wait(function() return S.status.read_only.on end, 5000, 'read-only on')
    R.statusline_ro = S.statusline()
    R.ro_actions = actions(6, 10)
    vim.cmd('StitchReadOnly off')
    wait(function() return not S.status.read_only.on end, 5000, 'read-only off')

    vim.cmd('StitchFocus 30')
    wait(function() return S.status.quiet.on end, 5000, 'focus on')
    R.statusline_quiet = S.statusline()
    R.focus_actions = actions(6, 10)
    wait(function() return #vim.diagnostic.get(0) == 0 end, 5000, 'diagnostics hidden')
    vim.cmd('StitchFocusEnd')
    wait(function() return not S.status.quiet.on end, 5000, 'focus off')

    local picked = {}
    vim.ui.select = function(items, opts, on_choice)
      table.insert(picked, opts.format_item and opts.format_item(items[1]) or items[1])
      if opts.format_item then
        for _, item in ipairs(items) do if item.id == 'init-items' then return on_choice(item) end end
      end
      on_choice('Reject')
    end
    vim.ui.input = function(opts, on_confirm) on_confirm('not now') end
    vim.cmd('StitchDrafts')
    wait(function() return #picked == 2 and S.status.drafts.pending == 1 end, 5000, 'reject through the picker')
    R.picked = picked
    vim.cmd('StitchStatus')
    wait(function() for _, n in ipairs(R.notes) do if n:find('floor', 1, true) then return true end end end, 5000, 'status note')
    vim.cmd('StitchSignOff')
""",
    )
    assert report["encoding"] == "utf-8"
    assert any("Draft ready (ready to apply)" in m for m in report["diagnostics"])
    by_title = {a["title"]: a for a in report["actions"]}
    ready = by_title["Apply draft: Draft ready — 0.82 · 2 sources · checkout/a/claude-code"]
    assert ready["disabled"] is None and ready["command"] == "stitch.applyDraft"
    low = by_title["Apply draft: Draft low — 0.51 · 2 sources · checkout/a/claude-code"]
    assert low["disabled"] == "0.51 < floor 0.65"
    assert report.get("apply_err") is None
    assert report["line13"] == "    return round(cart.total(), 2)"
    log = (workspace / ".stitch" / "source-log.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["draft"] == "ready"
    assert report["statusline_ro"].startswith("stitch: read-only")
    [ro] = [a for a in report["ro_actions"] if a["title"].startswith("Apply")]
    assert ro["disabled"].startswith("agents are read-only: testing the switch")
    assert re.match(
        r"stitch: quiet until \d{4}-\d\d-\d\d \d\d:\d\d \S+", report["statusline_quiet"]
    )
    assert report["focus_actions"] == []
    assert report["picked"][0].startswith(
        "Typed items  [init-items · stream checkout/a · by claude-code]  0.82 · 2 sources"
    )
    state = json.loads(StitchPaths(workspace).state.read_text())
    assert state["outcomes"]["init-items"]["reason"] == "not now"
    assert any("no stitch point here" in n for n in report["notes"])


def test_quiet_hours_hide_drafts_in_neovim(tmp_path: Path):
    team = (
        TEAM
        + '\n[quiet_hours]\ntimezone = "UTC"\n[[quiet_hours.windows]]\ndays = ["mon"]\nstart = "09:30"\nend = "11:30"\n'
    )
    root = make_workspace(tmp_path / "ws", team)
    write_draft(root, draft("ready"))
    report = run_nvim(
        root,
        CHECKOUT,
        r"""
    ready()
    wait(function() return S.status.drafts.pending == 1 end, 5000, 'the draft counted')
    R.quiet = S.status.quiet.on
    R.actions = actions(13, 8)
    -- a round trip after the draft was counted: diagnostics for it would have come before
    R.pending = run('stitch.status', {}).drafts.pending
    R.diagnostics = #vim.diagnostic.get(0)
    R.statusline = S.statusline()
    vim.cmd('StitchStatus')
    wait(function() return #R.notes > 0 end, 5000, 'the status')
""",
        env={"STITCH_TEST_CLOCK_START": "2026-11-30T10:00:00Z"},
    )
    assert report["quiet"] is True and report["pending"] == 1
    assert report["actions"] == [] and report["diagnostics"] == 0
    # the time as the server wrote it (core.timefmt, the team's zone), the same in every door
    assert report["statusline"] == "stitch: quiet until 2026-11-30 11:30 UTC · 1 draft"
    assert "quiet: on until 2026-11-30 11:30 UTC" in report["notes"][-1]


def test_non_ascii_before_the_range_lands_right_in_neovim(tmp_path: Path):
    root = non_ascii_workspace(tmp_path / "ws")
    report = run_nvim(
        root,
        "src/wide.py",
        r"""
    ready()
    R.encoding = client().offset_encoding
    R.actions = actions(1, 20)
    run('stitch.applyDraft', { 'wide' })
    wait(function() return vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]:find('total', 1, true) ~= nil end, 5000, 'edit')
    R.line = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]
""",
    )
    assert report["encoding"] == "utf-8"
    assert [a["title"] for a in report["actions"] if a["title"].startswith("Apply")]
    assert report["line"] == 'x = "é🙂"; y = compute_total()'


@pytest.mark.parametrize(
    "how",
    [
        {"settings": {"confidenceFloor": 0.9}},  # answered through workspace/configuration
        {"init_options": {"settings": {"stitch": {"confidenceFloor": 0.9}}}},
    ],
    ids=["settings-table", "init-options"],
)
def test_settings_reach_the_server_either_way(workspace: Path, how):
    write_draft(workspace, draft("ready"))
    report = run_nvim(
        workspace,
        CHECKOUT,
        r"""
    ready()
    R.floor = S.status.floor
    R.actions = actions(13, 8)
""",
        **how,
    )
    assert report["floor"] == {"value": 0.9, "from": "editor settings", "raised": {}}
    [apply] = [a for a in report["actions"] if a["title"].startswith("Apply")]
    assert apply["disabled"] == "0.82 < floor 0.90 (from editor settings)"


def test_a_stitch_point_shows_in_vim_diagnostic_get(tmp_path: Path):
    from gitrepos import stream_repo

    root = stream_repo(tmp_path / "ws")
    report = run_nvim(
        root,
        CHECKOUT,
        r"""
    ready()
    local function points()
      local out = {}
      for _, d in ipairs(vim.diagnostic.get(0)) do
        if type(d.code) == 'string' and d.code:match('^stitch%-point:') then table.insert(out, d) end
      end
      return out
    end
    wait(function() return #points() > 0 end, 8000, 'a stitch point')
    local p = points()[1]
    R.message, R.lnum, R.severity = p.message, p.lnum, p.severity
    vim.api.nvim_win_set_cursor(0, { p.lnum + 1, 0 })
    vim.cmd('StitchSignOff')
    wait(function() for _, n in ipairs(R.notes) do if n:find('only lead@example.com', 1, true) then return true end end end, 5000, 'refusal')
""",
    )
    assert report["message"].startswith(
        "stitch point: streams checkout/a, checkout/b · owner lead@example.com"
    )
    assert report["lnum"] == 7 and report["severity"] == 3  # vim.diagnostic.severity.INFO
    assert any("only lead@example.com may sign off" in n for n in report["notes"])


def test_stitch_compare_opens_a_diff_split_with_the_streams_version(tmp_path: Path):
    """`:StitchCompare` at a stitch point: which stream (vim.ui.select), then a read-only
    scratch buffer with that stream's version, diffed against the buffer; the point's
    "compare streams" lens does the same through the client's own command."""
    from gitrepos import git, stream_repo

    root = stream_repo(tmp_path / "ws")
    report = run_nvim(
        root,
        CHECKOUT,
        r"""
    ready()
    local function point()
      for _, d in ipairs(vim.diagnostic.get(0)) do
        if type(d.code) == 'string' and d.code:match('^stitch%-point:') then return d end
      end
    end
    wait(function() return point() ~= nil end, 8000, 'a stitch point')
    local p = point()
    local engineer = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_cursor(0, { p.lnum + 1, 0 })
    vim.ui.select = function(items, opts, on_choice)
      R.prompt = opts.prompt
      R.items = vim.tbl_map(opts.format_item, items)
      on_choice(items[R.pick or 2])
    end
    local function scratch()
      for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
        local b = vim.api.nvim_win_get_buf(w)
        if vim.b[b].stitch_compare then return w, b end
      end
    end
    vim.cmd('StitchCompare')
    wait(function() return scratch() ~= nil end, 8000, 'the diff split')
    local w, b = scratch()
    R.windows = #vim.api.nvim_tabpage_list_wins(0)
    R.lines = vim.api.nvim_buf_get_lines(b, 0, -1, false)
    R.name = vim.api.nvim_buf_get_name(b)
    R.diff = { vim.wo[w].diff, vim.wo[engineer].diff }
    R.modifiable, R.buftype, R.syntax = vim.bo[b].modifiable, vim.bo[b].buftype, vim.bo[b].syntax
    R.cursor = vim.api.nvim_win_get_cursor(w)[1]
    R.stream = vim.b[b].stitch_compare.stream
    R.clients_on_scratch = #vim.lsp.get_clients({ bufnr = b })
    -- the lens: the same comparison, through the client's own command (a new scratch)
    R.pick = 1
    vim.api.nvim_set_current_win(engineer)
    local id = p.code:sub(#'stitch-point:' + 1)
    client():exec_cmd({ title = 'compare streams', command = 'stitch.compareStreams', arguments = { id } }, { bufnr = 0 })
    wait(function() local _, b2 = scratch(); return b2 ~= nil and b2 ~= b end, 8000, 'the lens diff')
    local _, b2 = scratch()
    R.lens_stream = vim.b[b2].stitch_compare.stream
    R.windows_after_lens = #vim.api.nvim_tabpage_list_wins(0)
""",
    )
    assert report["prompt"] == "Compare Cart.total with which stream?"
    assert report["items"] == ["checkout/a", "checkout/b"]
    expected = git(root, "show", f"stream/checkout/b:{CHECKOUT}").split("\n")[:-1]
    assert report["lines"] == expected
    assert report["name"].endswith(f"stitch://checkout/b/{CHECKOUT}")
    assert report["diff"] == [True, True]
    assert report["modifiable"] is False and report["buftype"] == "nofile"
    assert report["syntax"] == "python"
    assert report["cursor"] == 8  # def total(self), in checkout/b's version
    assert report["stream"] == "checkout/b"
    assert report["clients_on_scratch"] == 0
    assert report["lens_stream"] == "checkout/a"
    assert report["windows"] == report["windows_after_lens"] == 2  # the last one replaced


def test_vim_lsp_enable_alone_finds_the_shipped_server_config(workspace: Path):
    """Neovim 0.11+'s convention: `lsp/stitch.lua` on the runtime path, so `enable` is all an
    engineer writes (no `vim.lsp.config`, no `setup`), and the user commands come with it."""
    write_draft(workspace, draft("ready"))
    report = run_nvim(
        workspace,
        CHECKOUT,
        r"""
    ready()
    R.name = client().name
    R.root = client().config.root_dir
    R.cmd = client().config.cmd
    R.actions = vim.tbl_map(function(a) return a.title end, actions(13, 8))
    wait(function() return vim.fn.exists(':StitchPrompts') == 2 end, 5000, 'user commands')
    R.commands = vim.fn.exists(':StitchDrafts') == 2 and vim.fn.exists(':StitchStatus') == 2
    R.prompts_pending = S.status.prompts.pending
    """,
        enable_only=True,
    )
    assert report["name"] == "stitch"
    assert report["root"] == str(workspace)
    assert report["cmd"] == ["stitch-ls", "serve"]
    assert any(title.startswith("Apply draft: Draft ready") for title in report["actions"])
    assert report["commands"] is True
    assert report["prompts_pending"] == 0


def test_stitch_drafts_offers_a_vouch_and_stitch_log_reads_plainly(workspace: Path):
    write_draft(workspace, draft("parked", sources=[]))
    report = run_nvim(
        workspace,
        CHECKOUT,
        r"""
    ready()
    R.choices = S.draft_choices('parked')
    vim.ui.select = function(items, opts, on_choice)
      if opts.format_item then return on_choice(items[1]) end
      on_choice('Vouch')
    end
    vim.ui.input = function(opts, on_confirm) on_confirm('checked it with the PM') end
    vim.cmd('StitchDrafts')
    wait(function() return S.status and S.status.drafts.actionable == 1 end, 5000, 'vouched')
    run('stitch.applyDraft', { 'parked' })
    vim.cmd('StitchLog')
    wait(function() return vim.api.nvim_buf_get_name(0):find('stitch://source%-log') ~= nil end, 5000, 'log buffer')
    R.log = vim.api.nvim_buf_get_lines(0, 0, -1, false)
""",
    )
    assert report["choices"] == ["Vouch", "Reject", "Show"]
    assert report["log"][0] == "Source log"
    assert any("checked it with the PM" in line for line in report["log"])


# -- accepted means kept: apply, then quit unsaved / undo and save / save --------------------

APPLY = r"""
    ready()
    wait(function() return S.status.drafts.pending == 1 end, 8000, 'the draft counted')
    local result, err = run('stitch.applyDraft', { 'ready' })
    R.apply_err = err
    R.message = result and result.message
    wait(function() return vim.api.nvim_buf_get_lines(0, 12, 13, false)[1]:find('round', 1, true) ~= nil end, 5000, 'edit')
    wait(function() return S.status.drafts.unsaved == 1 end, 8000, 'waiting to be saved')
    R.statusline = S.statusline()
"""


def log_lines(root: Path) -> list[dict]:
    log = root / ".stitch" / "source-log.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_apply_then_quit_without_saving_is_not_kept(workspace: Path):
    from test_cli import cli

    write_draft(workspace, draft("ready"))
    report = run_nvim(
        workspace,
        CHECKOUT,
        APPLY
        + r"""
    save_report()
    vim.cmd('qa!')
""",
    )
    assert report.get("apply_err") is None
    assert report["message"] == f"applied draft ready ({CHECKOUT}): accepted once saved"
    assert report["statusline"] == "stitch: 1 unsaved"
    assert "round" not in (workspace / CHECKOUT).read_text()
    status = json.loads(cli(workspace, "status", "--json").stdout)  # the next door looks
    [line] = log_lines(workspace)
    assert line["event"] == "not kept" and line["draft"] == "ready"
    assert line["what"] in (
        "the editor session ended before it was saved",  # said by the server as it shut down,
    )  # or by the CLI, finding the session gone: the same words
    assert status["drafts"]["unsaved"] == 0 and status["drafts"]["actionable"] == 1
    assert "NOT KEPT: Draft ready" in cli(workspace, "log").stdout


def test_apply_undo_save_is_not_kept(workspace: Path):
    write_draft(workspace, draft("ready"))
    report = run_nvim(
        workspace,
        CHECKOUT,
        APPLY
        + r"""
    vim.cmd('undo')
    R.undone = vim.api.nvim_buf_get_lines(0, 12, 13, false)[1]
    vim.cmd('write')
    wait(function() return S.status.drafts.unsaved == 0 and S.status.drafts.pending == 1 end, 8000, 'back in the inbox')
    R.actions = actions(13, 8)
""",
    )
    assert report["undone"] == "    return cart.total()"
    [line] = log_lines(workspace)
    assert line["event"] == "not kept"
    assert line["what"] == f"{CHECKOUT}: undone or reverted in the editor before it was saved"
    [apply] = [a for a in report["actions"] if a["title"].startswith("Apply")]
    assert apply["disabled"] is None  # applicable again


def test_apply_save_is_accepted(workspace: Path):
    write_draft(workspace, draft("ready"))
    report = run_nvim(
        workspace,
        CHECKOUT,
        APPLY
        + r"""
    vim.cmd('write')
    wait(function() return S.status.drafts.unsaved == 0 and S.status.drafts.pending == 0 end, 8000, 'kept')
    R.after = S.statusline()
""",
    )
    assert report["after"] == "stitch"
    [line] = log_lines(workspace)
    assert (line["event"], line["draft"], line["ranges"]) == (
        "accepted",
        "ready",
        {CHECKOUT: [[13, 13]]},
    )
    assert not (workspace / ".stitch" / "drafts" / "ready.json").exists()


def test_the_statusline_says_whose_budget_is_used(workspace: Path):
    write_draft(workspace, draft("u1", sources=[]))
    write_draft(workspace, draft("u2", sources=[]))
    write_draft(workspace, draft("theirs", agent="aider"))
    report = run_nvim(
        workspace,
        CHECKOUT,
        r"""
    ready()
    wait(function() return S.status.drafts.pending == 3 and S.status.trust.used == 2 end, 8000, 'counted')
    R.statusline = S.statusline()
""",
    )
    assert report["statusline"] == "stitch: unsourced: 2 of 3 used (claude-code) · 3 drafts"


def test_after_quiet_hours_one_summary_then_the_prompts_on_asking(tmp_path: Path):
    """Neovim shows the server's summary with its choices (vim.ui.select); going through
    shows each queued prompt, one at a time."""
    team = (
        TEAM
        + '\n[quiet_hours]\ntimezone = "UTC"\n[[quiet_hours.windows]]\ndays = ["mon"]\nstart = "09:30"\nend = "11:30"\n'
    )
    root = make_workspace(tmp_path / "ws", team)
    folder = root / ".stitch" / "prompts"
    folder.mkdir()
    for n in (0, 1):
        body = {
            "version": 1,
            "id": f"q{n}",
            "agent": "claude-code",
            "stream": "checkout/a",
            "question": f"Question {n}?",
            "options": ["yes", "no"],
        }
        (folder / f"q{n}.json").write_text(json.dumps(body))
    report = run_nvim(
        root,
        CHECKOUT,
        r"""
    ready()
    R.asked = {}
    vim.ui.select = function(items, opts, on_choice)
      local titles = vim.tbl_map(function(i) return i.title end, items)
      table.insert(R.asked, { prompt = opts.prompt, titles = titles })
      if titles[1] == 'Go through prompts' then return on_choice(items[1]) end
      on_choice(nil)
    end
    wait(function() return #R.asked >= 3 end, 12000, 'the summary and both prompts')
""",
        env={"STITCH_TEST_CLOCK_START": "2026-11-30T11:29:58Z"},
    )
    summary, first, second = report["asked"][:3]
    assert summary == {
        "prompt": "Stitch: while you were in quiet hours (09:30–11:30): 2 prompts queued: ",
        "titles": ["Go through prompts", "Later"],
    }
    assert "Question 0?" in first["prompt"] and "Question 1?" in second["prompt"]
    assert first["titles"] == ["yes", "no"]
