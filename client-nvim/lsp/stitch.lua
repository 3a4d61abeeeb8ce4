-- Stitch's server config, found on the runtime path by Neovim 0.11+ (`:help lsp-config`):
-- with `client-nvim` on the runtime path, `vim.lsp.enable('stitch')` is all it takes.
-- `vim.lsp.config('stitch', {...})` still overrides any field (cmd, settings, filetypes).
return require('stitch').config({ commands = true })
