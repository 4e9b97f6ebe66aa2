"""Calls to services outside Canopy: Hugging Face and Discord (TREE-74, MOD-16, API-HF-1).

Background work reaches them only from Celery jobs (`trees.jobs`), queued after commit by
the receivers in `trees.external.receivers`; only the toxicity proxy calls synchronously.
"""
