"""viduemu: an offline, faithful emulator of the Vidu API plus a contract-testing toolkit."""

__version__ = "0.1.0"
