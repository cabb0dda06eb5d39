# Developer entry points.
PYTHON ?= .venv/bin/python

.PHONY: bench bench-quick

# Berth vs CNCF Distribution on this machine (about 10 minutes); writes bench/results/latest.{json,md}.
bench:
	$(PYTHON) -m bench

# A fast run with small blobs, to check that the benchmark works.
bench-quick:
	$(PYTHON) -m bench --quick --out bench/results/quick
