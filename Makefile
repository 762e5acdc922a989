.PHONY: run test bench lint
run:
	./bin/run
test:
	./bin/test
bench:
	./bin/bench
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
