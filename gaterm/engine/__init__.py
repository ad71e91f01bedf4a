"""The GA engine, by concept: `engine` (the run, its events, records and best so far), `schedules/`
(generational and steady state), `breeding` (parents, crossover, mutation, merge, tasks), `checkpoint`,
`pruners/`, `fitness` (training one network) and `backends` (where evaluations run)."""
