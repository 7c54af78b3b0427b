"""ctanb.widgets."""
