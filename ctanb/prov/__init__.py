"""ctanb.prov."""
