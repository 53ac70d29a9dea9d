"""The pages the benchmark times: each URL is one the site serves, each name fits the table."""

from django.urls import resolve

from bench.measure import PAGES, Subjects


def test_every_page_resolves_to_a_view_of_the_site():
    subjects = Subjects(users={}, deal_id=1, project_id=2, in_review_id=3, webhook_id=4)
    for page in PAGES:
        if page.kind in ("poll", "peer") or "calibration" in page.name:
            continue  # their URLs are read from the data (a version, the admin in use)
        url = page.url(subjects)
        assert url, page.name
        assert resolve(url.split("?")[0], urlconf="bench.urls"), page.name


def test_names_are_unique_and_fit_the_printed_table():
    names = [page.name for page in PAGES]
    assert len(set(names)) == len(names)
    assert max(len(name) for name in names) <= 26


def test_a_post_page_makes_a_fresh_form_for_each_request():
    page = next(p for p in PAGES if p.data is not None)
    first, second = page.data(), page.data()
    assert first["dry_run"] == "true"
    assert first["file"] is not second["file"]
    assert first["file"].read().count(b"\n") == 1_001  # a header and 1,000 rows
