"""A local Salesforce for tests, browser tests and the demo.

See ``python -m tests.salesforce_emulator --help`` for the config format.
"""

from .config import ConfigError, load_config

__all__ = ["ConfigError", "load_config"]
