"""The one `environ.Env` of the project.

Every setting read from the environment goes through `env`, so the table of
variables in README.md can be checked against this package alone.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
