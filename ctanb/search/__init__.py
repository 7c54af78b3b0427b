"""ctanb.search."""
