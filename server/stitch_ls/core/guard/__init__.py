"""The guard: agents' own pre-tool hooks answered from the same policy (kept light: it runs before every tool call)."""
