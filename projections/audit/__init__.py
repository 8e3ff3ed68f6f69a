"""Audit: what auditors read.

A manager's ``history`` as known and as effective, the ``departure`` audit and its
``report`` (Markdown and HTML), ``pay`` and ``tiers`` findings, ``alerts``, the read-only
``sql`` console, the hash ``chain`` and its ``seals``, and ``verify`` (the log checked
against them). ``views`` and ``common`` hold the SQL and formatting they share.
"""
