"""The benchmark harness (issue 10): `generate` builds a nursery with years of history, `run` measures the app on it."""
