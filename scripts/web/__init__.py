"""What the web application and the HTTP API share: the reads, each asking the
access policy (domain/access_policy.py) first, and their errors (docs/access.md)."""
