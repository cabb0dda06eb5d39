# Developer entry points.
PYTHON ?= .venv/bin/python

.PHONY: bench bench-quick

# Berth vs CNCF Distribution on this machine (about 30 minutes, with the tools and test extras
# `bash scripts/test.sh` installs); writes bench/results/latest.{json,md}.
bench:
	$(PYTHON) -m bench

# A fast run with small blobs, to check that the benchmark works.
bench-quick:
	$(PYTHON) -m bench --quick --out bench/results/quick
