"""gaterm's built-in plugins: data sets and the study's `mean` merge, written exactly as a third party would."""
