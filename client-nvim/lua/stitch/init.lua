-- Stitch for Neovim: server setup (0.11+ and 0.10), user commands and a statusline part.
--
--   require('stitch').setup({ settings = { confidenceFloor = 0.7 } })
--
-- Every server command has a user command; the statusline part is fed by the server's
-- `stitch/status` notifications, so it changes without a keystroke.

local M = {}

--- The last status object the server sent (see the README's contract), or nil.
M.status = nil

local function on_status(_, result)
  M.status = result
  pcall(vim.cmd.redrawstatus)
  vim.api.nvim_exec_autocmds('User', { pattern = 'StitchStatus', modeline = false })
end

--- The configuration table for `vim.lsp.config('stitch', ...)` / `vim.lsp.start`.
function M.config(opts)
  opts = opts or {}
  local settings = { stitch = opts.settings or {} }
  return {
    name = 'stitch',
    cmd = opts.cmd or { 'stitch-ls', 'serve' },
    root_markers = { '.stitch', '.git' },
    filetypes = opts.filetypes,
    settings = settings,
    -- the same table as initializationOptions, for servers asked before settings are pulled
    init_options = opts.init_options,
    handlers = { ['stitch/status'] = on_status },
    -- the stitch point's "compare streams" lens: the answer is shown here, as a diff
    commands = {
      ['stitch.compareStreams'] = function(command)
        M.compare(command.arguments and command.arguments[1] or nil)
      end,
    },
    detached = opts.detached,
    cmd_env = opts.cmd_env,
    -- lsp/stitch.lua (vim.lsp.enable without setup): the user commands come with the server
    on_attach = opts.commands and function()
      M.create_commands()
    end or nil,
  }
end

local function client_for(bufnr)
  local get = vim.lsp.get_clients or vim.lsp.get_active_clients
  local clients = get({ name = 'stitch', bufnr = bufnr })
  if #clients == 0 then
    clients = get({ name = 'stitch' })
  end
  return clients[1]
end

local function request(client, method, params, handler, bufnr)
  if vim.fn.has('nvim-0.11') == 1 then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

--- Run a server command; `done(err, result)` is called with the answer.
function M.exec(command, arguments, done)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  if not client then
    vim.notify('Stitch: the server is not running for this buffer', vim.log.levels.WARN)
    return
  end
  request(client, 'workspace/executeCommand', { command = command, arguments = arguments or {} },
    function(err, result)
      if err then
        vim.notify('Stitch: ' .. (err.message or tostring(err)), vim.log.levels.WARN)
      end
      if done then
        done(err, result)
      end
    end, bufnr)
end

--- An instant as the server wrote it for people (`*_text`, the one format of every door:
--- "2026-11-30 11:30 EET"); from a server too old to send it, its ISO form as it came.
local function shown_time(text, iso)
  if type(text) == 'string' and text ~= '' then
    return text
  end
  if type(iso) == 'string' and iso ~= '' then
    return iso
  end
  return nil
end
M.shown_time = shown_time

--- A short state for the statusline: "quiet until 2026-11-30 11:30 EET", "read-only",
--- "unsourced: 3 of 4 used (claude-code)", "3 drafts", "1 unsaved". Times and the budget's
--- words are the server's; nothing here formats one.
function M.statusline()
  local s = M.status
  if type(s) ~= 'table' then
    return ''
  end
  local parts = {}
  if s.read_only and s.read_only.on then
    table.insert(parts, 'read-only')
  end
  if s.quiet and s.quiet.on then
    local until_text = shown_time(s.quiet.until_text, s.quiet['until'])
    table.insert(parts, 'quiet' .. (until_text and (' until ' .. until_text) or ''))
  end
  if s.trust and s.trust.budget then
    local used = s.trust.used or 0
    if used > 0 or s.trust.exhausted then
      -- an older server sends no text: its numbers, said the same way
      table.insert(parts, s.trust.text or ('unsourced: %d of %d used'):format(used, s.trust.budget))
    end
  end
  if s.drafts and (s.drafts.pending or 0) > 0 then
    table.insert(parts, ('%d draft%s'):format(s.drafts.pending, s.drafts.pending == 1 and '' or 's'))
  end
  if s.drafts and (s.drafts.unsaved or 0) > 0 then
    -- applied, accepted once saved
    table.insert(parts, ('%d unsaved'):format(s.drafts.unsaved))
  end
  if s.prompts and (s.prompts.pending or 0) > 0 then
    table.insert(parts, ('%d prompt%s'):format(s.prompts.pending, s.prompts.pending == 1 and '' or 's'))
  end
  if #parts == 0 then
    return 'stitch'
  end
  return 'stitch: ' .. table.concat(parts, ' · ')
end

--- A draft as one line of the picker: title, then which one and whose (id, stream, agent:
--- drafts with one title are told apart), then confidence, sources and state.
--- One word per state, as the server's core says it (stitch_ls/core/words.py).
M.STATE_WORDS = {
  below_floor = 'below the floor',
  read_only = 'read-only',
  quiet = 'quiet hours',
  unsaved = 'waiting to be saved',
}

function M.describe_draft(row)
  local conf = type(row.confidence) == 'number' and ('%.2f'):format(row.confidence) or '-'
  local state = M.STATE_WORDS[row.gate] or row.gate
  if type(row.reason) == 'string' then
    state = row.reason
  end
  local whose = { row.id }
  if type(row.stream) == 'string' and row.stream ~= '' then
    table.insert(whose, 'stream ' .. row.stream)
  end
  if type(row.agent) == 'string' and row.agent ~= '' then
    table.insert(whose, 'by ' .. row.agent)
  end
  local line = ('%s  [%s]  %s · %d sources · %s'):format(
    row.title, table.concat(whose, ' · '), conf, row.sources or 0, state)
  return (line:gsub('[%c]', ' '))
end

--- What the draft menu offers for a draft in `gate`: a parked draft (no sources) can be
--- vouched for, with a note that becomes its human source.
function M.draft_choices(gate)
  if gate == 'parked' then
    return { 'Vouch', 'Reject', 'Show' }
  end
  return { 'Apply', 'Reject', 'Show' }
end

--- The drafts of a `stitch.listDrafts` answer, and its last entry's message when the list
--- was cut at its limit ("… and 100 more drafts, left out: …").
function M.draft_rows(answer)
  local rows, left_out = {}, nil
  for _, row in ipairs(type(answer) == 'table' and answer or {}) do
    if type(row) == 'table' and type(row.id) == 'string' then
      table.insert(rows, row)
    elseif type(row) == 'table' and row.truncated == true and type(row.message) == 'string' then
      left_out = row.message
    end
  end
  return rows, left_out
end

--- Pick a pending draft with vim.ui.select, then apply, vouch for, reject or show it.
function M.list_drafts()
  M.exec('stitch.listDrafts', {}, function(err, answer)
    local rows, left_out = M.draft_rows(answer)
    if err or #rows == 0 then
      if not err then
        vim.notify('Stitch: no pending drafts')
      end
      return
    end
    if left_out then
      vim.notify('Stitch: ' .. left_out, vim.log.levels.WARN)
    end
    vim.schedule(function()
      vim.ui.select(rows, { prompt = 'Stitch drafts', format_item = M.describe_draft }, function(row)
        if not row then
          return
        end
        vim.ui.select(M.draft_choices(row.gate), { prompt = row.title }, function(choice)
          if choice == 'Apply' then
            M.exec('stitch.applyDraft', { row.id }, function(err, result)
              if not err and type(result) == 'table' and result.message then
                vim.notify('Stitch: ' .. result.message)  -- "accepted once saved"
              end
            end)
          elseif choice == 'Vouch' then
            vim.ui.input({ prompt = 'Why do you trust it without sources? ' }, function(note)
              if not note or vim.trim(note) == '' then
                vim.notify('Stitch: a vouch needs a note', vim.log.levels.WARN)
                return
              end
              M.exec('stitch.vouchDraft', { row.id, vim.trim(note) }, function(err, result)
                if not err and result then
                  vim.notify(('Stitch: vouched for %s; now %s'):format(row.id, result.gate))
                end
              end)
            end)
          elseif choice == 'Reject' then
            vim.ui.input({ prompt = 'Why reject? ' }, function(reason)
              M.exec('stitch.rejectDraft', { row.id, reason ~= '' and reason or nil })
            end)
          elseif choice == 'Show' then
            M.exec('stitch.showDraft', { row.id }, function(_, shown)
              if shown and shown.file then
                vim.schedule(function()
                  vim.cmd.edit(vim.fn.fnameescape(shown.file))
                end)
              end
            end)
          end
        end)
      end)
    end)
  end)
end

--- The source log as readable text in a scratch buffer (the server reads it).
function M.source_log()
  M.exec('stitch.sourceLog', {}, function(err, result)
    if err or type(result) ~= 'table' or type(result.text) ~= 'string' then
      return
    end
    vim.schedule(function()
      vim.cmd('new')
      local buf = vim.api.nvim_get_current_buf()
      vim.bo[buf].buftype = 'nofile'
      vim.bo[buf].bufhidden = 'wipe'
      vim.bo[buf].swapfile = false
      vim.api.nvim_buf_set_name(buf, 'stitch://source-log')
      vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(result.text, '\n', { plain = true }))
      vim.bo[buf].modifiable = false
    end)
  end)
end

--- The id of the stitch point under the cursor (a diagnostic whose code is
--- "stitch-point:<id>"), or nil.
local function point_here()
  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  for _, d in ipairs(vim.diagnostic.get(0, { lnum = line })) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    if type(code) == 'string' and code:match('^stitch%-point:') then
      return code:sub(#'stitch-point:' + 1)
    end
  end
  return nil
end

--- Sign off the stitch point under the cursor.
function M.sign_off()
  local id = point_here()
  if not id then
    vim.notify('Stitch: no stitch point here', vim.log.levels.INFO)
    return
  end
  M.exec('stitch.signOff', { id }, function(err, result)
    if not err then
      vim.notify('Stitch: signed off ' .. vim.inspect(result))
    end
  end)
end

--- Show `side` (one stream's version from `stitch.compareStreams`) beside the engineer's
--- window `win` as a diff: a scratch, read-only buffer on the left, `:diffthis` in both.
--- The text is the stream's file as git holds it: shown as text, never run or parsed.
function M.open_compare(win, answer, side)
  if type(side.text) ~= 'string' then
    vim.notify(('Stitch: %s: %s'):format(side.label or side.name, side.note or 'no text'), vim.log.levels.WARN)
    return nil
  end
  if not vim.api.nvim_win_is_valid(win) then
    win = vim.api.nvim_get_current_win()
  end
  -- one comparison at a time in a tab: the last one's scratch window goes
  for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.b[vim.api.nvim_win_get_buf(w)].stitch_compare and w ~= win then
      vim.api.nvim_win_close(w, true)
    end
  end
  vim.api.nvim_set_current_win(win)
  local syntax = vim.bo.filetype
  vim.cmd('diffthis')
  vim.cmd('leftabove vertical new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  vim.b[buf].stitch_compare = { stitch_id = answer.stitch_id, stream = side.name }
  pcall(vim.api.nvim_buf_set_name, buf, ('stitch://%s/%s'):format(side.label or side.name, answer.path))
  local lines = vim.split(side.text, '\n', { plain = true })
  if #lines > 1 and lines[#lines] == '' then
    table.remove(lines)
  end
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].readonly = true
  if syntax ~= '' then
    vim.bo[buf].syntax = syntax -- highlighting only: no FileType, so no server attaches here
  end
  vim.cmd('diffthis')
  if type(side.line) == 'number' and side.line < #lines then
    vim.api.nvim_win_set_cursor(0, { side.line + 1, 0 })
  end
  return buf
end

local function stream_item(side)
  return (side.label or side.name) .. (type(side.note) == 'string' and (' — ' .. side.note) or '')
end

--- Compare the engineer's buffer with one stream's version at a stitch point (the one under
--- the cursor when `point_id` is nil): asks which stream when the point has several.
function M.compare(point_id)
  point_id = point_id or point_here()
  if not point_id then
    vim.notify('Stitch: no stitch point here', vim.log.levels.INFO)
    return
  end
  local win = vim.api.nvim_get_current_win()
  M.exec('stitch.compareStreams', { point_id }, function(err, answer)
    if err or type(answer) ~= 'table' or type(answer.streams) ~= 'table' or #answer.streams == 0 then
      return
    end
    vim.schedule(function()
      if #answer.streams == 1 then
        M.open_compare(win, answer, answer.streams[1])
        return
      end
      vim.ui.select(answer.streams, {
        prompt = ('Compare %s with which stream?'):format(answer.symbol or answer.path),
        format_item = stream_item,
      }, function(side)
        if side then
          M.open_compare(win, answer, side)
        end
      end)
    end)
  end)
end

local function show_status()
  M.exec('stitch.status', {}, function(err, s)
    if err or type(s) ~= 'table' then
      return
    end
    M.status = s
    local ro, quiet = s.read_only, s.quiet
    local since = shown_time(ro.since_text, ro.since) or 'unknown time'
    local next_start = shown_time(quiet.next_start_text, quiet.next_start)
    local lines = {
      'read-only: ' .. (ro.on and ((ro.reason or '') .. ' (by ' .. tostring(ro.by) .. ', since ' .. since .. ')') or 'off'),
      'quiet: ' .. (quiet.on and ('on until ' .. (shown_time(quiet.until_text, quiet['until']) or 'further notice'))
        or ('off' .. (next_start and (' (next ' .. next_start .. ')') or ''))),
      ('floor: %.2f (%s)'):format(s.floor.value, s.floor['from']),
      'trust budget: ' .. (s.trust.text or ('unsourced: %d of %d used%s'):format(
        s.trust.used, s.trust.budget, s.trust.exhausted and ' (exhausted)' or '')),
      ('drafts: %d pending, %d ready%s'):format(s.drafts.pending, s.drafts.actionable,
        (s.drafts.unsaved or 0) > 0 and ('; %d applied, accepted once saved'):format(s.drafts.unsaved) or ''),
      ('prompts: %d pending'):format(s.prompts and s.prompts.pending or 0),
    }
    vim.notify('Stitch\n' .. table.concat(lines, '\n'))
  end)
end

--- The agents' questions still waiting; the server shows them again (dismissed ones too).
function M.pending_prompts()
  M.exec('stitch.pendingPrompts', {}, function(err, rows)
    if not err and type(rows) == 'table' then
      vim.notify(('Stitch: %d pending prompt%s'):format(#rows, #rows == 1 and '' or 's'))
    end
  end)
end

--- User commands for every server command.
function M.create_commands()
  local cmd = vim.api.nvim_create_user_command
  cmd('StitchReadOnly', function(a)
    local on = a.fargs[1] ~= 'off'
    local reason = table.concat(vim.list_slice(a.fargs, 2), ' ')
    if on and reason == '' then
      reason = vim.fn.input('Why turn agents read-only? ')
    end
    M.exec('stitch.setReadOnly', { { on = on, reason = reason ~= '' and reason or nil } })
  end, { nargs = '+', complete = function() return { 'on', 'off' } end, desc = 'Stitch: agents read-only on|off {reason}' })
  cmd('StitchFocus', function(a)
    M.exec('stitch.focus', { { minutes = tonumber(a.args) or 120 } })
  end, { nargs = '?', desc = 'Stitch: start a focus session [minutes]' })
  cmd('StitchFocusEnd', function()
    M.exec('stitch.endFocus', {})
  end, { desc = 'Stitch: end the focus session' })
  cmd('StitchDrafts', M.list_drafts, { desc = 'Stitch: list pending drafts' })
  cmd('StitchSignOff', M.sign_off, { desc = 'Stitch: sign off the stitch point under the cursor' })
  cmd('StitchCompare', function()
    M.compare()
  end, { desc = "Stitch: diff the buffer with a stream's version at the stitch point here" })
  cmd('StitchStatus', show_status, { desc = 'Stitch: show the status' })
  cmd('StitchPrompts', M.pending_prompts, { desc = 'Stitch: show pending prompts again' })
  cmd('StitchLog', M.source_log, { desc = 'Stitch: open the source log, readable' })
end

--- Neovim 0.11+: vim.lsp.config + vim.lsp.enable. On 0.10 falls back to vim.lsp.start.
function M.setup(opts)
  opts = opts or {}
  local config = M.config(opts)
  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config('stitch', config)
    vim.lsp.enable('stitch')
  else
    vim.api.nvim_create_autocmd('FileType', {
      callback = function(args)
        local root = vim.fs.root(args.buf, config.root_markers)
        if root then
          vim.lsp.start(vim.tbl_extend('force', config, { root_dir = root }), { bufnr = args.buf })
        end
      end,
    })
  end
  M.create_commands()
end

return M
