# The two commands of the README. Each sets up first when needed (scripts/setup.sh is idempotent).
PY := .venv/bin/python

.PHONY: setup demo test bench compare
setup:
	bash scripts/setup.sh

demo: setup
	$(PY) -m semcom.cli demo -o out/demo

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) scripts/bench_ldpc.py

# The all-schemes comparison (resumable: a rerun continues from its store, out/all_schemes/).
compare: setup
	$(PY) sim/all_schemes/run.py
