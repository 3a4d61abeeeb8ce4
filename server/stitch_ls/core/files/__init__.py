"""File and path safety: atomic writes, whole-line appends, the path-safe opener and where per-user files live."""
