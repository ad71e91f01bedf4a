"""Messages the engine worker thread posts to the app (thread-safe `post_message`; it never touches widgets)."""

from __future__ import annotations

from textual.message import Message

from gaterm.events import Event


class EngineEvent(Message):
    """One event of the engine's stream, for the run with id `run_id`."""

    def __init__(self, run_id: int, event: Event) -> None:
        super().__init__()
        self.run_id = run_id
        self.event = event


class RunPhase(Message):
    """What the worker is doing before the engine emits its first event (e.g. loading the data set)."""

    def __init__(self, run_id: int, text: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.text = text
