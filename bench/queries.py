"""A count of the queries a block sends, for the benchmarks that report queries per action."""

from django.db import connection


class QueryCounter:
    """Counts every query through the connection; unlike the debug log it has no cap."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> "QueryCounter":
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._wrapper.__exit__(*exc)
