"""pytest fixtures for the emulator.

Register with ``pytest_plugins = ["tests.salesforce_emulator.pytest_plugin"]``.
"""

import copy
import functools

import pytest
import requests
import responses

from .config import DEFAULT_CONFIG_PATH, load_config
from .emulator import Emulator
from .server import EmulatorServer

MOCK_BASE_URL = "http://127.0.0.1:5999"


@functools.cache
def _default_config():
    return load_config(DEFAULT_CONFIG_PATH)


@pytest.fixture
def emulator_config():
    """The two-org default config, a fresh copy for each test to change."""
    return copy.deepcopy(_default_config())


@pytest.fixture
def sf_emulator(emulator_config):
    """An emulator behind ``responses`` at MOCK_BASE_URL; no socket.

    Any request that matches neither the emulator nor a response the test
    added to ``sf_emulator.responses_mock`` fails the test.
    """
    emulator = Emulator(emulator_config)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        emulator.mock(mock, MOCK_BASE_URL)
        yield emulator
        unmatched = [
            f"{call.request.method} {call.request.url}"
            for call in mock.calls
            if isinstance(call.response, requests.ConnectionError)
        ]
    if unmatched:
        pytest.fail(f"requests matched nothing: {', '.join(unmatched)}")


@pytest.fixture
def sf_live_emulator(emulator_config):
    """An emulator served on a free loopback port for this test."""
    emulator = Emulator(emulator_config)
    with EmulatorServer(emulator):
        yield emulator
