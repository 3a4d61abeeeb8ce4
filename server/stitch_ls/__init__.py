"""Stitch: a language server for teams in which coding agents work beside engineers."""

__version__ = "0.1.0"
