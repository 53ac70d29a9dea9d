"""The index migrations of the deals app go back and forth on the database under test."""

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def index_names() -> set[str]:
    with connection.cursor() as cursor:
        return {
            name
            for table in ("deals_deal", "deals_client", "deals_dealevent", "deals_verdict")
            for name in connection.introspection.get_constraints(cursor, table)
        }


def test_index_migrations_reverse_and_apply_again():
    applied = index_names()
    try:
        call_command("migrate", "deals", "0002", verbosity=0)
        before = index_names()
        assert "deals_deal_client_id_26543475" in before
        assert "deal_value_idx" not in before
        assert not {"deal_title_trgm_idx", "client_name_trgm_idx"} & before
    finally:
        # Every app: going back also took back the migrations of other apps built on later deals'.
        call_command("migrate", verbosity=0)

    assert index_names() == applied
    assert "deals_deal_client_id_26543475" not in applied
    assert {"deal_value_idx", "deal_close_idx", "deal_title_idx"} <= applied
    if connection.vendor == "postgresql":
        assert {"deal_title_trgm_idx", "deal_description_trgm_idx", "client_name_trgm_idx"} <= (
            applied
        )
