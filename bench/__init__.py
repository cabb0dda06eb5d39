"""Berth against CNCF Distribution on one machine, in one run, with the same tools.

Run with ``make bench`` or ``python3 -m bench``; results go to ``bench/results/``.
"""
