"""Screens pushed over the main one: the help screen and the path prompt (save, load, open)."""
