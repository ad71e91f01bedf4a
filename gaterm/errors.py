"""The one exception family for errors a user can cause; the CLI prints them as one line, exit code 2."""

from __future__ import annotations


class GatermError(Exception):
    """An error the user can fix (bad input, missing file, broken plugin). Its message is written for them."""


class ConfigError(GatermError):
    """A configuration value or file is invalid."""


class DataError(GatermError):
    """A data set file is missing, unreachable, corrupt or in the wrong format."""


class PluginError(GatermError):
    """A plugin failed to load, raised in a hook, or returned something invalid."""


class MergeError(PluginError):
    """A merge strategy returned tensors that do not fit the child network."""
