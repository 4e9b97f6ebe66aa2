"""Load benchmark of the task API at oasst2 scale (see bench/README.md)."""
