"""Calibrated promises in the route matrix: what history says about a promise is aggregates
over resolved promises, so every signed-in role may ask, on the page and through the API."""

from tests.security.route_expectations import E, api, page

EXPECTATIONS = {
    # With no question the page draws its empty form; the fragment answers the deal form.
    "projects:calibration": E(page()),
    "api:calibration-list": E(
        api(), query="kind=integration&effort_days=12&promised_date=2027-06-01"
    ),
}
