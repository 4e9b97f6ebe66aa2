"""Writes of the users app, split by sub-domain: API clients and contributors."""
