# The skip policy for every test run (tests/policy.py); pytest imports this file before any test.
from tests.workers import use_own_redis

pytest_plugins = ["tests.policy"]

use_own_redis()
