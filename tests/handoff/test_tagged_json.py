"""Tagged JSON: every value the stored figures hold reads back equal and of its type."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handoff import tagged_json

# The encoding keeps every value as it was

plain = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
typed = (
    st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.dates()
    | st.datetimes(timezones=st.just(datetime.UTC))
    | st.floats(allow_nan=False, allow_infinity=False)
)
values = st.recursive(
    plain | typed,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(values)
def test_a_value_reads_back_equal_and_of_its_type(value):
    back = tagged_json.decode(tagged_json.encode(value))
    assert back == value
    assert type(back) is type(value)


@pytest.mark.parametrize("key", ["$date", "$datetime", "$decimal", "$dict"])
def test_a_dict_whose_only_key_looks_like_a_tag_reads_back_as_that_dict(key):
    for value in ({key: ""}, {key: {"$date": "x"}}, [{key: 1}]):
        assert tagged_json.decode(tagged_json.encode(value)) == value


def test_tuples_come_back_as_lists_and_keys_as_text():
    assert tagged_json.decode(tagged_json.encode({1: ("a", Decimal("1.50"))})) == {
        "1": ["a", Decimal("1.50")]
    }
