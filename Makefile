# The two commands of the README: `make demo` and `make test`. Both bootstrap from nothing.
.PHONY: demo test lint fmt serve

demo:
	@scripts/bootstrap.sh
	.venv/bin/cityops demo

test:
	@scripts/test.sh

lint:
	.venv/bin/ruff check src tests scripts
	.venv/bin/ruff format --check src tests scripts
	.venv/bin/mypy
	.venv/bin/lint-imports

fmt:
	.venv/bin/ruff format src tests scripts
	.venv/bin/ruff check --fix src tests scripts

serve:
	@scripts/bootstrap.sh
	.venv/bin/cityops serve
