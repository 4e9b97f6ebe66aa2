"""Writes of the trees app, split by sub-domain (STYLE, "What to avoid" 1)."""
