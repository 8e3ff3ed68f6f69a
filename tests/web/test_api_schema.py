"""schemathesis over the server's own OpenAPI document: generated requests to every
endpoint (signed in as an auditor, who may read everything) never get a server error,
and every answer matches the document's schema for its status. Failed sign-ins wait
a millisecond here, not a quarter of a second."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.web.served import Served, serve_ingested
from tests.web.test_web_reads import BANK


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_ingested(
        tmp_path_factory.mktemp("schema"), BANK, RMLEDGER_LOGIN_DELAY="0.001"
    ) as running:
        running.add_user("aud", "auditor")
        yield running


@pytest.fixture(scope="module")
def api(served: Served) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{served.url}/api/v1/openapi.json")
    schema.config.update(base_url=served.url)
    return schema


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_document_and_none_is_a_server_error(
    case: schemathesis.Case, served: Served
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {served.token('aud')}"},
        checks=(not_a_server_error, response_schema_conformance, status_code_conformance),
        timeout=60,
    )
