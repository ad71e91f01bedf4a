"""Widgets of the TUI, one module per area of the screen: setup form, run tables, progress, charts."""
