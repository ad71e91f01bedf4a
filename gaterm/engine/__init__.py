"""The GA engine: chromosomes, operators, model building, fitness, and the evolve loop that emits events."""
