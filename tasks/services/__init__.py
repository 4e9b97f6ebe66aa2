"""Writes of the tasks app: hand-out, lifecycle, submissions."""
