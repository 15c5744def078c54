# The Python extension (gopy) and the Python tests. (Filled by the Python work.)
.PHONY: python test-python
python: ## build and install the Python package (pip install .)
test-python: python ## pytest
