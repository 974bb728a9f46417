// The operators' page (admins only; the API answers 403 to anyone else):
// the plugins table, uploading a component with the server's verdict,
// enable/disable, limits, retire. Plugin names and descriptions are
// untrusted and shown as text.

import { api } from "./api.js";
import { h, fill, toast } from "./dom.js";
import { t } from "./i18n.js";

const MIB = 1024 * 1024;

export async function operatorsPage(root) {
  const verdict = h("div", { class: "verdict", role: "status", "aria-live": "polite", "data-testid": "verdict" });
  const file = h("input", { type: "file", id: "plugin-file", accept: ".wasm,application/wasm" });
  const upload = h("form", { class: "panel upload-plugin", onsubmit: async (e) => {
    e.preventDefault();
    if (!file.files[0]) return;
    const form = new FormData();
    form.append("file", file.files[0]);
    verdict.textContent = t("loading");
    verdict.dataset.ok = "";
    try {
      const r = await api("/api/plugins/", { method: "POST", form });
      verdict.textContent = t("ops.accepted", { key: r.plugin.key, version: r.plugin.version });
      verdict.dataset.ok = "true";
      await draw();
    } catch (err) {
      verdict.textContent = `${err.code}: ${err.message}`;
      verdict.dataset.ok = "false";
    }
  } },
  h("h2", {}, t("ops.upload")),
  h("div", { class: "row" }, h("label", { for: "plugin-file", class: "sr-only" }, t("ops.upload")), file,
    h("button", { type: "submit" }, t("ops.uploadButton"))),
  h("p", {}, h("strong", {}, t("ops.verdict") + ": "), verdict));
  const table = h("div", { class: "table-wrap" });
  fill(root, h("h1", {}, t("ops.title")), upload, h("section", { class: "panel" }, table));

  async function patch(p, body) {
    try {
      await api(`/api/plugins/${encodeURIComponent(p.key)}/${encodeURIComponent(p.version)}/`, { method: "PATCH", json: body });
      await draw();
    } catch (e) {
      toast(`${e.code}: ${e.message}`);
    }
  }

  async function draw() {
    let list;
    try {
      list = await api("/api/plugins/");
    } catch (e) {
      fill(table, h("p", { class: "error" }, `${e.code}: ${e.message}`));
      return;
    }
    const rows = list.plugins.map((p) => {
      const mem = h("input", { type: "number", min: "1", value: String(Math.round(p.limits.memory_bytes / MIB)), "aria-label": `${t("ops.memory")} ${p.key}` });
      const time = h("input", { type: "number", min: "1", value: String(p.limits.timeout_ms), "aria-label": `${t("ops.timeout")} ${p.key}` });
      const retired = p.status === "retired";
      return h("tr", { "data-plugin": p.key },
        h("td", {}, h("code", {}, p.key)), h("td", {}, p.version),
        h("td", {}, h("span", { class: "plugin-name" }, p.name), h("br"), h("small", { class: "muted" }, p.description)),
        h("td", {}, h("span", { class: "badge", dataset: { status: p.status } }, p.status)),
        h("td", {}, typeof p.source === "string" ? p.source : JSON.stringify(p.source)),
        h("td", { class: "num" }, String(p.runs)), h("td", { class: "num" }, String(p.failures)),
        h("td", { class: "num" }, p.p50_duration_ms ?? "—"),
        h("td", { class: "actions" },
          retired ? null : h("button", { type: "button", class: "secondary",
            onclick: () => patch(p, { enabled: p.status !== "enabled" }) }, p.status === "enabled" ? t("ops.disable") : t("ops.enable")),
          retired ? null : h("details", {}, h("summary", {}, t("ops.limits")),
            h("label", {}, t("ops.memory"), mem), h("label", {}, t("ops.timeout"), time),
            h("button", { type: "button", onclick: () => patch(p, { limits: { memory_bytes: Number(mem.value) * MIB, timeout_ms: Number(time.value) } }) }, t("ops.save"))),
          retired ? null : h("button", { type: "button", class: "danger", onclick: async () => {
            if (!confirm(t("ops.confirmRetire", { key: p.key, version: p.version }))) return;
            try {
              await api(`/api/plugins/${encodeURIComponent(p.key)}/${encodeURIComponent(p.version)}/`, { method: "DELETE" });
              await draw();
            } catch (e) { toast(`${e.code}: ${e.message}`); }
          } }, t("ops.retire"))));
    });
    fill(table, h("table", { class: "plugins" },
      h("thead", {}, h("tr", {}, ["ops.key", "ops.version", "ops.name", "ops.status", "ops.source", "ops.runs", "ops.failures", "ops.p50", "ops.actions"].map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, rows)));
  }
  await draw();
}
