# The skip policy for every test run (tests/policy.py); pytest imports this file before any test.
pytest_plugins = ["tests.policy"]
