"""The LSP shell: turns the core's answers into lsprotocol objects and editor behaviour."""
