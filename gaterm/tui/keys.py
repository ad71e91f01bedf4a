"""User key remapping: a TOML file whose `[keys]` table maps binding ids to keys (no Textual here).

```toml
[keys]
"run.start" = "ctrl+e"        # one key
"tab.run" = "f3,ctrl+3"       # several, separated by commas
```

The file is `--keys FILE`, else `keys.toml` in the user config directory (platformdirs: e.g.
`~/.config/gaterm/keys.toml` on Linux) when it exists. Unknown binding ids are an error naming them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from gaterm.errors import GatermError

KEYS_FILE = "keys.toml"


class KeysError(GatermError):
    """A keys file cannot be used; the message names the file and what is wrong."""


def default_keys_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("gaterm") / KEYS_FILE


def load_keymap(path: Path | None, known_ids: Iterable[str]) -> dict[str, str]:
    """The keymap (binding id -> keys) of `path`, or of the default keys file when `path` is None (no file
    there: no remapping). Raises KeysError for a missing explicit file, bad TOML or an unknown binding id."""
    explicit = path is not None
    path = Path(path) if path is not None else default_keys_path()
    if not path.is_file():
        if explicit:
            raise KeysError(f"keys file not found: {path}")
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise KeysError(f"cannot read keys file {path}: {exc}") from None
    table = data.get("keys")
    if not isinstance(table, dict):
        raise KeysError(f"keys file {path}: expected a [keys] table mapping binding ids to keys")
    known = set(known_ids)
    unknown = sorted(k for k in table if k not in known)
    if unknown:
        raise KeysError(f"keys file {path}: unknown binding id{'s' * (len(unknown) > 1)} "
                        f"{', '.join(repr(u) for u in unknown)}; known ids: {', '.join(sorted(known))}")
    bad = sorted(k for k, v in table.items() if not isinstance(v, str) or not v.strip())
    if bad:
        raise KeysError(f"keys file {path}: the keys for {', '.join(repr(b) for b in bad)} must be a non-empty "
                        "string such as \"ctrl+e\" or \"f3,ctrl+3\"")
    return {k: v.replace(" ", "") for k, v in table.items()}
