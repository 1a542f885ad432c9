# The README's two commands. Each installs what is missing first (scripts/setup.sh).
.PHONY: demo test setup help

help:
	@echo "make demo   export models/mlp.py, build it for the host and the Cortex-M55 (PLATFORM=P: another), run both, compare with PyTorch"
	@echo "make test   run every test (ruff, bazel test //..., pytest)"
	@echo "make setup  install system packages and the .venv only"

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh --test
