"""The wire contract of the Open-Assistant v1 protocol: enums, payload envelopes, serializers.

Nothing here imports an app's models (STYLE practice 1).
"""
