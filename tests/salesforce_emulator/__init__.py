"""A local Salesforce for tests, browser tests and the demo.

See ``python -m tests.salesforce_emulator --help`` for the config format.
"""

from .config import ConfigError, load_config
from .emulator import Emulator
from .server import EmulatorServer

__all__ = ["ConfigError", "Emulator", "EmulatorServer", "load_config"]
