"""The ``rmledger`` command line: ``main`` builds the click group, and each module is
one command family named after it (``pay``, ``tiers``, ``audit``, ``periods``,
``alerts``, ``consume``, ``export``, ``demo``, ...). ``context`` opens the store and
read model for a command; ``failures``, ``options`` and ``output`` hold what every
command shares (one-sentence errors, checked option types, safe output files)."""
