"""The benchmark: a generated dataset, page timings, a load test and digests at scale."""
