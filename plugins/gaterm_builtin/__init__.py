"""gaterm's built-in plugins: data sets, merge strategies and the MLflow listener, written exactly as a third party
would."""
