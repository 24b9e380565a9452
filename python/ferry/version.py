"""ferry's version, and the version of Py4J whose API and protocol it follows."""

__version__ = "0.1.0"
"""ferry's version."""

PY4J_VERSION = "0.10.9.9"
"""The py4j release whose API ferry provides (what ``py4j.__version__`` reads under
``ferry.compat.install_as_py4j``)."""
