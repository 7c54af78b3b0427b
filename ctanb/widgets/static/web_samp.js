// Web SAMP (IVOA SAMP 1.3 Web Profile) from the browser: for hosted notebooks, where the
// desktop applications and their hub run on the user's machine, not beside the kernel.
// The kernel sets `request` ({id, messages}); this module registers with the hub at
// `hub_url`, sends each message with notifyAll, unregisters, and reports in `reply`.

function xmlValue(value) {
  if (Array.isArray(value)) {
    return "<value><array><data>" + value.map(xmlValue).join("") + "</data></array></value>";
  }
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value).map(
      ([k, v]) => `<member><name>${escape(k)}</name>${xmlValue(v)}</member>`
    );
    return "<value><struct>" + members.join("") + "</struct></value>";
  }
  return `<value><string>${escape(String(value))}</string></value>`;
}

function escape(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function parseValue(node) {
  const child = [...node.children][0];
  if (!child) return node.textContent;
  switch (child.tagName) {
    case "struct": {
      const out = {};
      for (const member of child.children) {
        out[member.querySelector("name").textContent] = parseValue(member.querySelector("value"));
      }
      return out;
    }
    case "array":
      return [...child.querySelector("data").children].map(parseValue);
    default:
      return child.textContent;
  }
}

async function call(url, method, params) {
  const body =
    `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>` +
    params.map((p) => `<param>${xmlValue(p)}</param>`).join("") +
    "</params></methodCall>";
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "text/xml" },
    body,
  });
  const doc = new DOMParser().parseFromString(await response.text(), "text/xml");
  const fault = doc.querySelector("fault value");
  if (fault) {
    const detail = parseValue(fault);
    throw new Error(detail.faultString || JSON.stringify(detail));
  }
  const value = doc.querySelector("params param value");
  return value ? parseValue(value) : null;
}

async function send(url, name, messages) {
  const registration = await call(url, "samp.webhub.register", [{ "samp.name": name }]);
  const key = registration["samp.private-key"];
  try {
    await call(url, "samp.webhub.declareMetadata", [key, { "samp.name": name }]);
    for (const message of messages) await call(url, "samp.webhub.notifyAll", [key, message]);
  } finally {
    await call(url, "samp.webhub.unregister", [key]);
  }
}

function render({ model, el }) {
  el.classList.add("ctanb-web-samp");
  const status = document.createElement("span");
  el.append(status);
  model.on("change:request", async () => {
    const request = model.get("request");
    if (!request || !request.messages) return;
    status.textContent = "sending over Web SAMP…";
    let reply;
    try {
      await send(model.get("hub_url"), model.get("client_name"), request.messages);
      reply = { id: request.id, ok: true, error: "" };
      status.textContent = `sent ${request.messages.length} message(s) over Web SAMP`;
    } catch (err) {
      reply = { id: request.id, ok: false, error: String(err && err.message ? err.message : err) };
      status.textContent =
        "Web SAMP failed: start TOPCAT or Aladin on this computer and accept the connection (" +
        reply.error + ")";
    }
    model.set("reply", reply);
    model.save_changes();
  });
}

export default { render };
