"""The schedules: when which individual is bred and evaluated. One module per schedule, each a class whose
methods are its steps; both build tasks with `gaterm.engine.breeding` and record through the engine."""
