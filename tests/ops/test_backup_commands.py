"""backup_db and restore_db refuse what they cannot do, with a reason, on any database."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def test_backup_of_a_sqlite_database_says_how_to_copy_it_instead(tmp_path):
    with pytest.raises(CommandError, match=r"for PostgreSQL\. With SQLite"):
        call_command(
            "backup_db", output=tmp_path / "x.dump", database_url=f"sqlite:///{tmp_path}/db"
        )

    assert list(tmp_path.iterdir()) == []


def test_restore_of_a_missing_file_says_so(tmp_path):
    with pytest.raises(CommandError, match="No dump at"):
        call_command("restore_db", tmp_path / "missing.dump")
