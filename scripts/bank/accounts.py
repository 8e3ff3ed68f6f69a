"""Building blocks for money: balances, loans and their classification, the
month's postings, and the uniform sample of postings to reverse."""

from __future__ import annotations

from datetime import date

from scripts.bank.agenda import BankBase
from scripts.bank.business import (
    CORPORATE_LOANS,
    DEPOSIT_OUTFLOW,
    DEPOSIT_RATE,
    DEPOSIT_STILL,
    FTP_DEPOSIT_INCOME,
    FTP_LOAN_COST,
    MIGRATION,
    PERSONAL_LOANS,
)
from scripts.bank.draws import between, weighted
from scripts.bank.state import Client, Loan, Message, Steps
from scripts.bank.units import fraction, month_end, yuan


class Accounts(BankBase):
    """Balances, loans and postings of the bank's clients."""

    def open_accounts(self, client: Client, as_of: date) -> Steps:
        """First balances of a client (and a loan for some)."""
        wealth = client.usual
        if client.kind == "personal":
            client.deposit = fraction(wealth, 60_000)
            if self.chance(300):
                client.fund = fraction(wealth, 20_000)
            if self.chance(250):
                client.wealth = fraction(wealth, 30_000)
        else:
            client.deposit = wealth
        client.usual = client.deposit
        yield self.balance(client, "deposit", client.deposit, as_of)
        if client.fund:
            yield self.balance(client, "fund", client.fund, as_of)
        if client.wealth:
            yield self.balance(client, "wealth", client.wealth, as_of)
        if self.chance(400 if client.kind == "corporate" else 150):
            yield from self.originate_loan(client, as_of)

    def originate_loan(self, client: Client, as_of: date) -> Steps:
        """A new performing loan, classified normal on its first day."""
        table = CORPORATE_LOANS if client.kind == "corporate" else PERSONAL_LOANS
        product, low, high, rate = weighted(self.rng, table)
        amount = self.rng.randrange(low, high) * 100
        loan = Loan(f"L{next(self.loan_numbers):06d}", product, amount, rate, self.chance(120))
        client.loan = loan
        yield self.classify(client, loan, as_of)
        yield self.balance(client, product, amount, as_of)

    def balance(self, client: Client, product: str, fen: int, as_of: date) -> Message:
        """A balance.reported message."""
        return self.message(
            "balance.reported", client_id=client.id, product=product, balance=yuan(fen), as_of=as_of
        )

    def classify(self, client: Client, loan: Loan, as_of: date) -> Message:
        """A loan.classified message with the loan's current category and balance."""
        return self.message(
            "loan.classified",
            loan_id=loan.id,
            client_id=client.id,
            category=loan.category,
            balance=yuan(loan.balance),
            as_of=as_of,
        )

    def deposits(self, day: date) -> Steps:
        """Deposit balances of every served client, at the spec's frequency."""
        mode = self.spec.deposit_every
        if not (
            mode == "daily" or day == month_end(day) or (mode == "weekly" and day.weekday() == 4)
        ):
            return
        still, outflow = DEPOSIT_STILL[mode], DEPOSIT_OUTFLOW[mode]
        rng = self.rng
        for client in self.clients:
            if client.primary is None:
                continue
            ticket = rng.randrange(10_000)
            if ticket < outflow:
                # A large outflow: money leaves for another bank or a big purchase.
                client.deposit -= client.deposit * rng.randrange(30, 80) // 100
            elif ticket >= still:
                drift = (client.usual - client.deposit) // 20
                client.deposit = max(
                    0, client.deposit + drift + client.deposit * rng.randrange(-200, 201) // 10_000
                )
            yield self.balance(client, "deposit", client.deposit, day)

    def products(self, client: Client, day: date) -> Steps:
        """Month-end fund, wealth and loan balances, and the loan's classification."""
        rng = self.rng
        for product in ("fund", "wealth"):
            held = getattr(client, product)
            if held:
                # Market moves; sometimes everything is redeemed (then a 0 is reported once).
                held = 0 if self.chance(20) else held + held * rng.randrange(-500, 601) // 10_000
            elif client.kind == "personal" and self.chance(10):
                held = fraction(client.usual, 20_000) + 100_000
            else:
                continue
            setattr(client, product, held)
            yield self.balance(client, product, held, day)
        loan = client.loan
        if loan is None:
            if self.chance(3):
                yield from self.originate_loan(client, day)
            return
        loan.category = weighted(rng, MIGRATION[(loan.category, loan.risky)])
        if loan.category in ("normal", "special_mention"):
            # Performing loans amortise; one in a hundred is repaid in full.
            loan.balance = (
                0 if self.chance(10) else loan.balance - loan.balance * rng.randrange(5, 25) // 1000
            )
        yield self.classify(client, loan, day)
        yield self.balance(client, loan.product, loan.balance, day)
        if loan.balance == 0:
            client.loan = None  # repaid: the loan id is never used again

    def postings(self, client: Client, day: date) -> Steps:
        """The month's income and cost postings of one client."""
        assert client.since is not None
        first = max(day.replace(day=1), client.since)
        days, month_days = (day - first).days + 1, day.day
        rng = self.rng

        def share(amount: int) -> int:
            return amount * days // month_days  # part of the month the client was with us

        deposit = client.deposit
        yield from self.book(
            client,
            "deposit_interest_income",
            share(fraction(deposit, FTP_DEPOSIT_INCOME) // 12),
            day,
        )
        yield from self.book(
            client, "deposit_interest_expense", share(fraction(deposit, DEPOSIT_RATE) // 12), day
        )
        invested = client.fund + client.wealth
        if invested:
            yield from self.book(
                client, "fee_income", share(fraction(invested, 500) // 12), between(rng, first, day)
            )
        elif self.chance(600 if client.kind == "corporate" else 250):
            scale = 10 if client.kind == "corporate" else 1
            yield from self.book(
                client, "fee_income", rng.randrange(2_000, 80_000) * scale, between(rng, first, day)
            )
        if client.trade:
            yield from self.book(
                client,
                "settlement_income",
                rng.randrange(30_000, 3_000_000),
                between(rng, first, day),
            )
        if self.chance(50):
            yield from self.book(
                client, "other_income", rng.randrange(5_000, 300_000), between(rng, first, day)
            )
        if self.chance(60):
            yield from self.book(
                client, "other_cost", rng.randrange(2_000, 150_000), between(rng, first, day)
            )
        loan = client.loan
        if loan is not None and loan.category not in ("doubtful", "loss"):
            # Interest is charged on the 21st; non-accrual loans earn none.
            charged_on = max(first, min(day, day.replace(day=21)))
            yield from self.book(
                client, "loan_interest", share(fraction(loan.balance, loan.rate) // 12), charged_on
            )
        if loan is not None:
            yield from self.book(
                client, "asset_cost", share(fraction(loan.balance, FTP_LOAN_COST) // 12), day
            )

    def book(self, client: Client, category: str, fen: int, value_date: date) -> Steps:
        """A posting.booked (nothing when the amount rounds to 0); its message id is
        the posting's source id. Each posting is offered to the reversal sample."""
        if fen <= 0:
            return
        message = self.message(
            "posting.booked",
            client_id=client.id,
            category=category,
            amount=yuan(fen),
            value_date=value_date,
        )
        self.sample_for_reversal(message["id"])
        if client.primary is not None:
            self.month_postings[client.primary] = message["id"]
        yield message

    def sample_for_reversal(self, posting_id: str) -> None:
        """Reservoir sampling: a uniform sample of the month's postings, constant size."""
        self.postings_seen += 1
        size = self.spec.reversals_per_month
        if len(self.to_reverse) < size:
            self.to_reverse.append(posting_id)
        else:
            slot = self.rng.randrange(self.postings_seen)
            if slot < size:
                self.to_reverse[slot] = posting_id
