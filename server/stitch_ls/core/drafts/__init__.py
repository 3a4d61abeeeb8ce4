"""Drafts and their gate: the file formats agents hand in, the index, anchoring, sources, evidence and the gate's decision."""
