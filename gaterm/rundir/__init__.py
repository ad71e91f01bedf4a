"""The run directory: its files defined once (`files`), the writer, the reader, checkpoints and resume."""
