"""Pay: which manager is credited with what, and what each is paid.

``attribution`` (the credit query shared with audit), ``rules`` (the pure pay rules:
weights, performance pay, prepayment, settlement, true-up), ``statements`` (monthly
statements, issued at a close and restated), ``kept`` (the running state kept between
closes), ``explanation`` (every line behind a statement) and ``periods`` (closed months).
"""
