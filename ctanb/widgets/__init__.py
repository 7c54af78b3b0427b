"""Notebook widgets: search forms, results table, sky view, actions and the Explorer.

``from ctanb.widgets import Explorer; Explorer()`` is the one-line entry point. The sky view
needs the Aladin Lite assets installed once with ``ctanb-install-aladin``.
"""

from ctanb.widgets.actions import Actions, Product
from ctanb.widgets.aladin import OfflineAladin, install_assets
from ctanb.widgets.explorer import Explorer
from ctanb.widgets.forms import ConeSearch
from ctanb.widgets.history import History
from ctanb.widgets.jobs import JobMonitor
from ctanb.widgets.obscore_form import ObsCoreSearch
from ctanb.widgets.products import AnalysisRun, ProductView
from ctanb.widgets.samp import SampSender, WebSamp
from ctanb.widgets.skyview import SkyView
from ctanb.widgets.specform import SpecForm
from ctanb.widgets.table import ResultsTable

__all__ = [
    "Actions",
    "AnalysisRun",
    "ConeSearch",
    "Explorer",
    "History",
    "JobMonitor",
    "ObsCoreSearch",
    "OfflineAladin",
    "Product",
    "ProductView",
    "ResultsTable",
    "SampSender",
    "SkyView",
    "SpecForm",
    "WebSamp",
    "install_assets",
]
