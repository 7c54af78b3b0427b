#!/usr/bin/env python
"""Install Aladin Lite (from node_modules) and ctanb's offline ipyaladin front end for Jupyter.

Same as ``ctanb-install-aladin``; idempotent. Run after ``npm install`` in the checkout.
"""

import sys

from ctanb.widgets.aladin import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
