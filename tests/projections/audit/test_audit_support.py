"""Read-model rows built by hand for the audit tests (no test functions here).

``ReadModelRows`` fills the documented DuckDB tables (docs/read-model.md, created by
``projections.readmodel.schema.create_all``) in bulk: each ``add`` gets the next position and a
recorded_at one minute after the previous, plus a row in ``events``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from domain.values import CATEGORIES
from projections.readmodel.schema import create_all

T0 = datetime(2025, 1, 1, 1, 0, tzinfo=UTC)

TOPICS = {
    "managers": "Manager.Hired",
    "grade_changes": "Manager.GradeChanged",
    "departure_requests": "Manager.DepartureRequested",
    "departure_approvals": "Manager.DepartureApproved",
    "departures": "Manager.Departed",
    "clients": "Client.Registered",
    "assignment_changes": "Client.Assigned",
    "handovers": "Handover.Opened",
    "handover_witnesses": "Handover.Witnessed",
    "handover_records": "Handover.RecordSigned",
    "handover_filings": "Handover.Filed",
    "postings": "Posting.Booked",
    "reversals": "Posting.Reversed",
    "balances": "BalanceReport.Reported",
    "activities": "Activity.Recorded",
    "adjustments": "Adjustment.Recorded",
    "loan_classifications": "Loan.Classified",
    "periods_closed": "Period.Closed",
    "statements_issued": "Period.Closed",
}


def d(text: str) -> date:
    return date.fromisoformat(text)


class ReadModelRows:
    """Rows for the read-model tables, positions in the order they are added."""

    def __init__(self, conn: duckdb.DuckDBPyConnection | None = None) -> None:
        self.conn = conn or duckdb.connect(":memory:")
        create_all(self.conn)
        self.position = 0
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def at(self, position: int) -> datetime:
        return T0 + timedelta(minutes=position)

    def add(self, table: str, *, same_position: bool = False, **row: Any) -> int:
        if not same_position:
            self.position += 1
            self.rows["events"].append(
                {
                    "position": self.position,
                    "originator_id": f"o-{self.position}",
                    "originator_version": 1,
                    "topic": TOPICS.get(table, table),
                    "recorded_at": self.at(self.position),
                    "state": "{}",
                }
            )
        self.rows[table].append(
            {"position": self.position, "recorded_at": self.at(self.position), **row}
        )
        return self.position

    def flush(self) -> duckdb.DuckDBPyConnection:
        """Bulk-insert everything added so far (one Arrow table per read-model table)."""
        for table, rows in self.rows.items():
            if not rows:
                continue
            columns = [c[0] for c in self.conn.execute(f"DESCRIBE {table}").fetchall()]
            data = {c: [r.get(c) for r in rows] for c in columns if any(c in r for r in rows)}
            batch = pa.table({c: pa.array(v) for c, v in data.items()})  # noqa: F841 - scanned by DuckDB
            self.conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch")
        self.rows.clear()
        return self.conn

    # -- the messages of docs/contract.md C1 as rows ----------------------------------------

    def hire(self, m: str, grade: str = "junior", on: str = "2025-01-01") -> int:
        return self.add(
            "managers",
            manager_id=m,
            name=f"Manager {m}",
            branch_id="BR01",
            grade=grade,
            hired_on=d(on),
        )

    def grade(self, m: str, grade: str, on: str) -> int:
        return self.add(
            "grade_changes",
            manager_id=m,
            grade=grade,
            effective_on=d(on),
            reason="assessment",
            message_id=f"grade:{m}:{on}",
        )

    def register(self, c: str, on: str = "2025-01-05") -> int:
        return self.add(
            "clients",
            client_id=c,
            kind="personal",
            branch_id="BR01",
            registered_on=d(on),
            name=f"Client {c}",
            id_last4="1234",
        )

    def assign(
        self, c: str, m: str, on: str, role: str = "primary", origin: str = "acquired"
    ) -> int:
        return self.add(
            "assignment_changes",
            client_id=c,
            manager_id=m,
            role=role,
            origin=origin,
            effective_on=d(on),
            change="assigned",
            handover_id=None,
            message_id=f"a:{c}:{m}:{on}",
        )

    def release(self, c: str, m: str, on: str, role: str = "primary") -> int:
        return self.add(
            "assignment_changes",
            client_id=c,
            manager_id=m,
            role=role,
            origin=None,
            effective_on=d(on),
            change="released",
            handover_id=None,
            message_id=f"r:{c}:{m}:{on}",
        )

    def open_handover(self, h: str, src: str, dst: str, clients: list[str], on: str) -> int:
        pos = self.add(
            "handovers",
            handover_id=h,
            from_manager_id=src,
            to_manager_id=dst,
            reason="departure",
            opened_on=d(on),
            message_id=f"open:{h}",
        )
        for c in clients:
            self.add("handover_clients", same_position=True, handover_id=h, client_id=c)
        return pos

    def witness(self, h: str, who: str, role: str, on: str) -> int:
        return self.add(
            "handover_witnesses",
            handover_id=h,
            witness_id=who,
            witness_role=role,
            witnessed_on=d(on),
            message_id=f"w:{h}:{role}",
        )

    def sign(self, h: str, on: str) -> int:
        return self.add(
            "handover_records",
            handover_id=h,
            record_ref=f"DOC-{h}",
            signed_on=d(on),
            message_id=f"s:{h}",
        )

    def file(self, h: str, src: str, dst: str, clients: list[str], on: str) -> int:
        pos = self.add("handover_filings", handover_id=h, filed_on=d(on), message_id=f"f:{h}")
        for c in clients:
            self.add(
                "assignment_changes",
                same_position=True,
                client_id=c,
                manager_id=src,
                role="primary",
                origin=None,
                effective_on=d(on),
                change="handover_out",
                handover_id=h,
                message_id=f"f:{h}",
            )
            self.add(
                "assignment_changes",
                same_position=True,
                client_id=c,
                manager_id=dst,
                role="primary",
                origin="inherited",
                effective_on=d(on),
                change="handover_in",
                handover_id=h,
                message_id=f"f:{h}",
            )
        return pos

    def book(self, pid: str, c: str, amount: str, category: str, on: str) -> int:
        cls, sign = CATEGORIES[category]
        return self.add(
            "postings",
            posting_id=pid,
            client_id=c,
            category=category,
            **{"class": cls},
            sign=sign,
            amount=Decimal(amount),
            value_date=d(on),
        )

    def reverse(self, pid: str) -> int:
        return self.add("reversals", posting_id=pid, reason="error", message_id=f"rev:{pid}")

    def classify(self, loan: str, c: str, category: str, balance: str, on: str) -> int:
        return self.add(
            "loan_classifications",
            loan_id=loan,
            client_id=c,
            category=category,
            balance=Decimal(balance),
            as_of=d(on),
            message_id=f"cl:{loan}:{on}",
        )

    def balance(self, c: str, amount: str, on: str, product: str = "deposit") -> int:
        return self.add(
            "balances",
            message_id=f"b:{c}:{product}:{on}",
            client_id=c,
            product=product,
            balance=Decimal(amount),
            as_of=d(on),
        )

    def close(self, period: str, on: str) -> int:
        return self.add(
            "periods_closed",
            period=period,
            closed_on=d(on),
            approved_by="CFO",
            message_id=f"close:{period}",
        )

    def request_departure(self, m: str, on: str, last_day: str) -> int:
        return self.add(
            "departure_requests",
            manager_id=m,
            kind="resignation",
            requested_on=d(on),
            last_day=d(last_day),
            message_id=f"leave:{m}",
        )

    def approve(self, m: str, role: str, on: str) -> int:
        return self.add(
            "departure_approvals",
            manager_id=m,
            approver_id=f"{role.upper()}-1",
            role=role,
            approved_on=d(on),
            message_id=f"ap:{m}:{role}",
        )

    def depart(self, m: str, on: str) -> int:
        return self.add("departures", manager_id=m, departed_on=d(on), message_id=f"dep:{m}")

    def activity(self, m: str, kind: str, count: int, on: str) -> int:
        return self.add(
            "activities",
            message_id=f"act:{m}:{kind}:{on}",
            manager_id=m,
            kind=kind,
            count=count,
            value_date=d(on),
        )

    def statement(self, m: str, period: str, **money: str) -> int:
        fields = (
            "base_salary",
            "post_salary",
            "responsibility_profit",
            "weighted_profit",
            "performance_earned",
            "prepayment",
            "settlement",
            "compliance",
            "corrections",
            "prior_true_up",
            "performance_due",
            "performance_paid",
            "clawback_carried",
            "awards",
            "total",
        )
        values = {f: Decimal(money.get(f, "0")) for f in fields}
        return self.add(
            "statements_issued",
            period=period,
            manager_id=m,
            grade="junior",
            **values,
            statement="{}",
        )
