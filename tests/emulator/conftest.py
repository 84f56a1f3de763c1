pytest_plugins = ["tests.salesforce_emulator.pytest_plugin"]
