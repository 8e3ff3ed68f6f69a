"""The synthetic bank's business constants: grades, the mid-window plan, who signs a
month off and what disputes say, deposit dynamics, loan products and rates, loan and
lifecycle migrations, and the kinds and reasons of events."""

from __future__ import annotations

GRADES = ("assistant", "junior", "intermediate", "senior", "principal")
RANK = {grade: rank for rank, grade in enumerate(GRADES)}

# The plan published mid-way: a modest raise, a higher prepayment, and from now on
# the backup shares 10% of the business. Every grade and every activity kind is there.
MID_PLAN_GRADES = {
    "assistant": ("4200.00", "1050.00", "160", "0.8"),
    "junior": ("5200.00", "1600.00", "190", "1.0"),
    "intermediate": ("6800.00", "2600.00", "210", "1.1"),
    "senior": ("8400.00", "3700.00", "230", "1.2"),
    "principal": ("10500.00", "5200.00", "260", "1.35"),
}
MID_PLAN_ACTIVITY = {
    "credit_card": "60.00",
    "merchant": "300.00",
    "agency": "220.00",
    "market_info": "100.00",
}

# Contract version 2. The plan in force when the ledger starts has a month signed off
# by the branch head, then the performance office; the revision adds finance and
# gives a dispute 10 days instead of 15. Who signs, by role (the performance office
# also decides disputes): ids of staff, never managers.
OPENING_PLAN_APPROVALS = ("branch_head", "performance_office")
OPENING_PLAN_DISPUTE_DAYS = 15
MID_PLAN_APPROVALS = ("branch_head", "performance_office", "finance")
MID_PLAN_DISPUTE_DAYS = 10
SIGN_OFF_STAFF = {
    "branch_head": ("BH-HQ-01",),
    "performance_office": ("PO-HQ-01", "PO-HQ-02"),
    "finance": ("FIN-HQ-02",),
}
DISPUTE_CLAIMS = (
    "a deposit brought in this month is missing from my credited business",
    "the fee income of a client I serve was credited to a colleague",
    "my backup share of a corporate client's income is missing",
    "the loan-loss charge was taken for a loan I no longer hold",
    "the handover moved a client before the record was filed",
)
DISPUTE_UPHOLDINGS = (
    "checked against the core system: the business was the manager's",
    "the attribution table was out of date for the month",
)
DISPUTE_REJECTIONS = (
    "the client was held by a colleague on the value date",
    "the statement follows the plan in force; nothing to correct",
)

# Deposit balance dynamics per reporting mode: chance (per 10,000 reports) that the
# balance stays as it was, and that a large outflow (30-80% leaves) happens.
DEPOSIT_STILL = {"daily": 7_000, "weekly": 3_000, "monthly": 1_000}
DEPOSIT_OUTFLOW = {"daily": 3, "weekly": 20, "monthly": 80}

# Loan products: (product, share of loan clients, low and high amount in yuan,
# interest per 100,000 a year).
PERSONAL_LOANS = (
    (("loan_housing", 300_000, 3_600_000, 3_900), 60),
    (("loan_credit", 10_000, 120_000, 6_000), 25),
    (("loan_pledged", 50_000, 600_000, 4_500), 10),
    (("loan_secured", 100_000, 1_500_000, 4_800), 5),
)
CORPORATE_LOANS = (
    (("loan_secured", 1_000_000, 30_000_000, 4_200), 70),
    (("loan_credit", 500_000, 5_000_000, 4_600), 30),
)
FTP_LOAN_COST = 2_600  # transfer price of loan funding, per 100,000 a year
FTP_DEPOSIT_INCOME = 2_300  # transfer price credited on deposits
DEPOSIT_RATE = 1_350  # interest paid to depositors

# Monthly migration of the five-category classification, per 1,000 loans, by
# (current category, risky loan?). Loans come back as well as go down.
MIGRATION: dict[tuple[str, bool], tuple[tuple[str, int], ...]] = {
    ("normal", False): (("special_mention", 3), ("normal", 997)),
    ("normal", True): (("special_mention", 90), ("normal", 910)),
    ("special_mention", False): (("normal", 300), ("substandard", 60), ("special_mention", 640)),
    ("special_mention", True): (("normal", 150), ("substandard", 220), ("special_mention", 630)),
    ("substandard", False): (("special_mention", 150), ("doubtful", 80), ("substandard", 770)),
    ("substandard", True): (("special_mention", 80), ("doubtful", 200), ("substandard", 720)),
    ("doubtful", False): (("substandard", 100), ("loss", 80), ("doubtful", 820)),
    ("doubtful", True): (("substandard", 60), ("loss", 150), ("doubtful", 790)),
    ("loss", False): (("doubtful", 30), ("loss", 970)),
    ("loss", True): (("doubtful", 20), ("loss", 980)),
}

# Lifecycle stage moves at a month-end review, per 1,000 clients.
STAGE_MOVES: dict[str, tuple[tuple[str, int], ...]] = {
    "target": (("potential", 300), ("target", 700)),
    "potential": (("active", 350), ("dormant", 20), ("potential", 630)),
    "active": (("dormant", 12), ("active", 988)),
    "dormant": (("active", 150), ("lost", 60), ("dormant", 790)),
    "lost": (("target", 80), ("lost", 920)),
}

ACTIVITY_KINDS = (("credit_card", 40), ("merchant", 15), ("agency", 25), ("market_info", 20))
DEPARTURE_KINDS = (("resignation", 50), ("transfer", 30), ("rotation", 20))
REVERSAL_REASONS = (
    "booked to the wrong client",
    "duplicate entry",
    "amount keyed wrongly",
    "wrong value date",
)
COMPLIANCE_REASONS = (
    ("incomplete client due-diligence file", -1),
    ("late anti-money-laundering review", -1),
    ("customer complaint upheld", -1),
    ("clean internal inspection", 1),
    ("risk-control commendation", 1),
)
AWARD_REASONS = (
    "outstanding contribution: key corporate account",
    "outstanding contribution: wealth campaign",
)
