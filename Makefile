# ctanb: the two commands of the README, and the pieces they are made of.
.PHONY: demo test setup lint fast bench docs clean

demo: setup            ## set up, start the store, ingest ../shared/data, start services and JupyterLab
	.venv/bin/ctanb demo

test:                  ## set up, lint, type-check, build the docs, run every test
	bash scripts/test.sh

setup:                 ## system packages (as root), .venv, npm packages, Aladin Lite assets
	bash scripts/setup.sh

fast: setup            ## the fast tier: no browser, hub or slow tests
	.venv/bin/pytest -m "not browser and not hub and not slow"

bench: setup           ## benchmarks (print figures; nothing asserted)
	for b in benchmarks/bench_*.py; do echo "== $$b"; .venv/bin/python $$b; done

docs: setup
	bash scripts/docs.sh

clean:
	rm -rf docs/_build test-artifacts .pytest_cache .ruff_cache .mypy_cache
