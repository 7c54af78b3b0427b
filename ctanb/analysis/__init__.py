"""ctanb.analysis."""
