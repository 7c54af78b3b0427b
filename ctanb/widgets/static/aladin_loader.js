// Loads Aladin Lite and ipyaladin's front end from the Jupyter server (installed by
// `ctanb-install-aladin`), instead of https://esm.sh; adds ctanb's footprint layer.
// This module is evaluated from a blob: URL, so every import needs an absolute URL.

const ASSETS = "lab/extensions/ctanb-aladin/static/";
const LOCAL_SURVEY = "ctanb-local";

function assetRoot() {
  let base = "/";
  const config = document.getElementById("jupyter-config-data");
  if (config) {
    try {
      base = JSON.parse(config.textContent).baseUrl || "/";
    } catch (err) {
      console.warn("ctanb: unreadable jupyter-config-data", err);
    }
  }
  if (!base.endsWith("/")) base += "/";
  return new URL(base + ASSETS, window.location.origin).href;
}

let modules = null;
let lastCreated = null;

function load() {
  if (!modules) {
    const root = assetRoot();
    modules = Promise.all([import(root + "aladin.js"), import(root + "widget.js")]).then(
      ([lite, widget]) => {
        const A = lite.default;
        if (!A.__ctanbWrapped) {
          // Keep a handle on each view that ipyaladin's render() creates.
          const create = A.aladin;
          A.aladin = function (div, options) {
            lastCreated = create(div, options);
            return lastCreated;
          };
          A.__ctanbWrapped = true;
        }
        return { A, widget: widget.default, root };
      },
      (err) => {
        modules = null;
        throw new Error(
          "ctanb: Aladin Lite assets not found under " + root +
            " (run ctanb-install-aladin in the kernel's environment): " + err
        );
      }
    );
  }
  return modules;
}

const AUTO_SURVEY = "ctanb-auto";
const CDS_SURVEY = "https://alasky.cds.unistra.fr/DSS/DSSColor";

async function reachable(url, timeoutMs) {
  try {
    const response = await fetch(url + "/properties", {
      signal: AbortSignal.timeout(timeoutMs),
    });
    return response.ok;
  } catch (err) {
    return false;
  }
}

// "ctanb-local" -> the local HiPS; "ctanb-auto" -> CDS DSS when it answers, else local.
async function chooseSurvey(model, root) {
  const local = root + "hips";
  const options = { ...model.get("_init_options") };
  let survey = options.survey;
  if (!survey || survey === LOCAL_SURVEY) survey = local;
  else if (survey === AUTO_SURVEY) survey = (await reachable(CDS_SURVEY, 1500)) ? CDS_SURVEY : local;
  if (survey !== options.survey) {
    options.survey = survey;
    model.set("_init_options", options);
  }
  if (model.get("survey") !== survey) model.set("survey", survey);
}

const COLOURS = { normal: "#4fa3ff", selected: "#ffb000" };

class Footprints {
  constructor(A, aladin, model) {
    this.A = A;
    this.aladin = aladin;
    this.model = model;
    this.layers = {};
    this.onFootprints = () => this.draw();
    this.onSelection = () => this.drawSelected();
    model.on("change:_footprints", this.onFootprints);
    model.on("change:_selected_rows", this.onSelection);
    // ipyaladin's objectClicked assumes catalogue sources: keep a footprint click from
    // throwing there, then report the row the footprint belongs to.
    const callbacks = aladin.callbacksByEventName || {};
    const previous = callbacks.objectClicked;
    aladin.on("objectClicked", (object, event) => {
      if (object && object.ctanbRow !== undefined) return;
      if (typeof previous === "function") previous(object, event);
    });
    aladin.on("footprintClicked", (footprint) => {
      const shape = footprint && (footprint.ctanbRow !== undefined ? footprint : footprint.shapes?.[0]);
      const row = footprint?.ctanbRow ?? shape?.ctanbRow;
      if (row !== undefined) model.send({ event_type: "ctanb_footprint_clicked", row });
    });
    this.draw();
  }

  layer(name, colour, width) {
    if (this.layers[name]) this.aladin.removeOverlay(this.layers[name]);
    const layer = this.A.graphicOverlay({ name, color: colour, lineWidth: width });
    this.aladin.addOverlay(layer);
    this.layers[name] = layer;
    return layer;
  }

  shapes(rows, colour) {
    const all = this.model.get("_footprints") || [];
    const shapes = [];
    for (const row of rows) {
      const fp = all[row];
      if (!fp) continue;
      const circle = this.A.circle(fp[0], fp[1], fp[2], { color: colour });
      circle.ctanbRow = row;
      shapes.push(circle);
    }
    return shapes;
  }

  draw() {
    const all = this.model.get("_footprints") || [];
    const layer = this.layer("results", COLOURS.normal, 1.5);
    layer.addFootprints(this.shapes([...all.keys()], COLOURS.normal));
    this.drawSelected();
  }

  drawSelected() {
    const layer = this.layer("selection", COLOURS.selected, 3);
    layer.addFootprints(this.shapes(this.model.get("_selected_rows") || [], COLOURS.selected));
  }

  dispose() {
    this.model.off("change:_footprints", this.onFootprints);
    this.model.off("change:_selected_rows", this.onSelection);
  }
}

export default {
  async initialize(context) {
    const { widget } = await load();
    if (widget.initialize) return widget.initialize(context);
  },
  async render(context) {
    const { A, widget, root } = await load();
    await chooseSurvey(context.model, root);
    lastCreated = null;
    const cleanup = widget.render(context);
    const aladin = lastCreated;
    context.el.ctanbAladin = aladin; // for tests and debugging in the browser console
    // The view is created before the notebook lays its output out, and Aladin Lite keeps the
    // pixel scale when its div is resized: once the width is stable, apply the field of view
    // the kernel asked for.
    if (aladin) {
      const wanted = context.model.get("_fov");
      let lastWidth = -1;
      let ticks = 0;
      const settle = () => {
        const width = aladin.view ? aladin.view.width : 0;
        if (width > 1 && width === lastWidth) {
          if (Math.abs(aladin.getFov()[0] - wanted) > 1e-3) aladin.setFoV(wanted);
          else if (ticks > 3) return;
        }
        lastWidth = width;
        if (++ticks < 40) setTimeout(settle, 150);
      };
      setTimeout(settle, 150);
    }
    let footprints = null;
    if (aladin && context.model.get("_footprints") !== undefined) {
      footprints = new Footprints(A, aladin, context.model);
      context.el.ctanbFootprints = footprints;
    }
    return () => {
      if (footprints) footprints.dispose();
      if (typeof cleanup === "function") cleanup();
    };
  },
};
