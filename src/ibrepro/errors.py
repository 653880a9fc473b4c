"""The package's own exception types, in a module that imports nothing heavy, so the command
line can catch them without loading torch (a figure job's start-up would double)."""


class ConfigError(ValueError):
    """The configuration is invalid; the message lists each problem with its path."""
