"""The server follows the log: what is ingested while it runs is in its answers within
seconds, on SQLite and on PostgreSQL; its statements are what ``rmledger pay --json``
prints for the same month."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from tests import builders as b
from tests.stores import PostgresStore, SqliteStore, run_rmledger
from tests.web.served import serve
from tests.web.test_web_reads import BANK

FOLLOW_DEADLINE = 60.0  # generous: the machine is shared; the server usually takes < 1 s


def ingest(
    store: SqliteStore | PostgresStore, messages: list[dict[str, object]], name: str
) -> None:
    source = Path(store.data_dir) / name
    source.write_text("".join(json.dumps(m) + "\n" for m in messages))
    done = run_rmledger(store, "ingest", str(source))
    assert done.returncode == 0, done.stdout + done.stderr


def test_statements_equal_pay_json_and_an_ingest_shows_up_while_serving(
    store: SqliteStore | PostgresStore,
) -> None:
    ingest(store, BANK, "bank.jsonl")
    with serve(store) as served:
        served.add_user("pat", "performance_office")
        with served.client(served.token("pat")) as client:
            answer = client.get("/api/v1/statements", params={"period": "2025-02"})
            printed = json.loads(run_rmledger(store, "pay", "--period", "2025-02", "--json").stdout)
            assert answer.status_code == 200
            assert answer.json() == printed

            # March: a new fee for C1, then the month closed, while the server runs.
            ingest(
                store,
                [
                    b.book("P9", "C1", "30000.00", "fee_income", "2025-03-10"),
                    b.close("2025-03", "2025-04-01"),
                ],
                "march.jsonl",
            )
            deadline = time.monotonic() + FOLLOW_DEADLINE
            march = client.get("/api/v1/statements", params={"period": "2025-03", "manager": "M1"})
            # March is answered (open) before the ingest is followed: wait for the close.
            while not _issued(march) and time.monotonic() < deadline:
                time.sleep(0.1)  # polling until the condition holds, with a deadline
                march = client.get(
                    "/api/v1/statements", params={"period": "2025-03", "manager": "M1"}
                )
            assert march.status_code == 200, march.text
            printed = json.loads(
                run_rmledger(
                    store, "pay", "--period", "2025-03", "--manager", "M1", "--json"
                ).stdout
            )
            assert march.json() == printed
            assert printed[0]["status"] == "issued"


def _issued(answer: httpx.Response) -> bool:
    """Whether the answer is the month's statement as issued at its close."""
    return answer.status_code == 200 and [s["status"] for s in answer.json()] == ["issued"]
