"""ctanb.jobs."""
