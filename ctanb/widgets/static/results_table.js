// ResultsTable front end: renders only the current page; rows, sorting and paging live in
// the kernel (ctanb.widgets.table.ResultsTable).

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function render({ model, el: root }) {
  root.classList.add("ctanb-results");
  const picker = el("details", { class: "ctanb-columns" }, el("summary", {}, "Columns"));
  const table = el("table", { class: "ctanb-table" });
  const footer = el("div", { class: "ctanb-footer" });
  root.append(picker, table, footer);

  function selectedSet() {
    return new Set(model.get("selected_rows"));
  }

  function setSelected(rows) {
    model.set("selected_rows", [...rows].sort((a, b) => a - b));
    model.save_changes();
  }

  function drawPicker() {
    picker.querySelectorAll("label").forEach((n) => n.remove());
    const shown = new Set(model.get("columns"));
    for (const name of model.get("available_columns")) {
      const box = el("input", { type: "checkbox", "data-column": name });
      box.checked = shown.has(name);
      box.addEventListener("change", () => {
        const now = model.get("available_columns").filter((c) =>
          c === name ? box.checked : shown.has(c)
        );
        model.set("columns", now);
        model.save_changes();
      });
      picker.append(el("label", {}, box, " " + name));
    }
  }

  function drawTable() {
    table.replaceChildren();
    const columns = model.get("columns");
    const rows = model.get("_page_rows");
    const index = model.get("_page_index");
    const selected = selectedSet();
    const total = model.get("n_rows");
    const all = el("input", { type: "checkbox", class: "ctanb-select-all", title: "Select all" });
    all.checked = total > 0 && selected.size === total;
    all.indeterminate = selected.size > 0 && selected.size < total;
    all.addEventListener("change", () => model.send({ event: "select_all", value: all.checked }));
    const head = el("tr", {}, el("th", {}, all));
    const sortBy = model.get("sort_by");
    for (const name of columns) {
      const arrow = name === sortBy ? (model.get("sort_ascending") ? " ▲" : " ▼") : "";
      head.append(
        el("th", {
          "data-column": name,
          title: "Sort by " + name,
          onclick: () => {
            if (model.get("sort_by") === name) {
              model.set("sort_ascending", !model.get("sort_ascending"));
            } else {
              model.set("sort_by", name);
              model.set("sort_ascending", true);
            }
            model.save_changes();
          },
        }, name + arrow)
      );
    }
    table.append(el("thead", {}, head));
    const body = el("tbody");
    rows.forEach((values, i) => {
      const row = index[i];
      const box = el("input", { type: "checkbox", class: "ctanb-select-row", "data-row": row });
      box.checked = selected.has(row);
      box.addEventListener("change", () => {
        const now = selectedSet();
        if (box.checked) now.add(row);
        else now.delete(row);
        setSelected(now);
      });
      const tr = el("tr", { "data-row": row, class: selected.has(row) ? "selected" : "" },
        el("td", {}, box));
      for (const value of values) tr.append(el("td", {}, value));
      body.append(tr);
    });
    table.append(body);
  }

  function drawFooter() {
    footer.replaceChildren();
    const total = model.get("n_rows");
    const size = model.get("page_size");
    const page = model.get("page");
    const pages = Math.max(1, Math.ceil(total / size));
    const first = total ? page * size + 1 : 0;
    const last = Math.min(total, (page + 1) * size);
    const sizes = el("select", { class: "ctanb-page-size", title: "Rows per page" });
    for (const n of [5, 10, 25, 50, 100]) {
      const option = el("option", { value: String(n) }, String(n));
      if (n === size) option.selected = true;
      sizes.append(option);
    }
    sizes.addEventListener("change", () => {
      model.set("page_size", parseInt(sizes.value, 10));
      model.set("page", 0);
      model.save_changes();
    });
    const go = (p) => () => {
      model.set("page", Math.min(pages - 1, Math.max(0, p)));
      model.save_changes();
    };
    const prev = el("button", { class: "ctanb-prev", onclick: go(page - 1) }, "‹ Previous");
    const next = el("button", { class: "ctanb-next", onclick: go(page + 1) }, "Next ›");
    prev.disabled = page <= 0;
    next.disabled = page >= pages - 1;
    footer.append(
      el("span", { class: "ctanb-showing" }, `Showing ${first} to ${last} of ${total} rows`),
      el("span", {}, " · ", sizes, " rows per page "),
      prev,
      el("span", { class: "ctanb-page" }, ` page ${page + 1} of ${pages} `),
      next,
      el("span", { class: "ctanb-selected-count" }, ` · ${model.get("selected_rows").length} selected`)
    );
  }

  const redraw = () => {
    drawTable();
    drawFooter();
  };
  model.on("change:_page_rows", redraw);
  model.on("change:selected_rows", redraw);
  model.on("change:columns", () => drawPicker());
  model.on("change:available_columns", () => drawPicker());
  drawPicker();
  redraw();
}

export default { render };
