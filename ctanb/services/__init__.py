"""ctanb.services."""
