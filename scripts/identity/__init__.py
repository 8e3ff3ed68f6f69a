"""Who is asking: the server-side identity functions of ``rmledger serve``.

``passwords`` (argon2 hashes), ``tokens`` (the API's own bearer tokens, signed with a
key kept outside the store), ``sso`` (the bank identity provider's JWTs) and
``accounts`` (from a username, a password or a token to a ``domain.principal.Principal``,
or ``Unauthenticated`` with its reason). Accounts are read from the event store at every
use, so a disabled user is refused from the next request on (docs/rules.md R11.2).
"""
