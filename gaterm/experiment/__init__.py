"""Compare mode: the study's basic-vs-merge experiment over data sets and seeds (arms, analysis, report)."""
