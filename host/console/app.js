// The console's pages and router (hash routes, so every page is a
// bookmarkable URL the server answers with the same index.html):
//   #/                 upload an export, or pick a dataset again
//   #/charts/<dataset> choose charts, their settings and the style
//   #/jobs/<job>       progress, event log, gallery, descriptions
//   #/history          the user's jobs
//   #/operators        plugins (admins)

import { api, ApiError } from "./api.js";
import { h, fill, $, toast } from "./dom.js";
import { t, setLocale, getLocale, translateStatic } from "./i18n.js";
import { paramsForm } from "./form.js";
import { watchJob } from "./run.js";
import { operatorsPage } from "./operators.js";

const main = $("#main");
let me = null;
let stopWatching = null;

async function start() {
  const lang = $("#lang");
  lang.value = getLocale();
  setLocale(getLocale());
  lang.addEventListener("change", () => { setLocale(lang.value); route(); });
  $("#signout").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  try {
    me = await api("/api/session/");
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
  }
  await route();
  // First render, for anyone measuring it (the browser tests note it).
  performance.mark("patchart:rendered");
}

function chrome() {
  $("#nav").hidden = !me;
  $("#signout").hidden = !me;
  $("#nav-operators").hidden = !(me && me.is_admin);
  $("#who").textContent = me ? me.user : "";
  for (const a of document.querySelectorAll("#nav a")) {
    const here = location.hash === a.getAttribute("href") || (a.getAttribute("href") === "#/" && (location.hash === "" || location.hash === "#/"));
    if (here) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

async function route() {
  if (stopWatching) { stopWatching(); stopWatching = null; }
  translateStatic();
  chrome();
  if (!me) return signInPage();
  const [, page, arg] = (location.hash.replace(/^#/, "") || "/").split("/");
  try {
    if (page === "charts" && arg) await chartsPage(decodeURIComponent(arg));
    else if (page === "jobs" && arg) jobPage(decodeURIComponent(arg));
    else if (page === "history") await historyPage(arg);
    else if (page === "operators" && me.is_admin) await operatorsPage(main);
    else await uploadPage();
  } catch (e) {
    fill(main, h("p", { class: "error", role: "alert" }, `${e.code || ""} ${e.message}`));
  }
  document.title = `patchart — ${main.querySelector("h1")?.textContent || ""}`;
}

function signInPage() {
  const failed = new URLSearchParams(location.search).get("signin") === "failed";
  fill(main, h("section", { class: "panel narrow" },
    h("h1", {}, t("signin.title")),
    h("p", {}, t("signin.help")),
    failed ? h("p", { class: "error", role: "alert" }, t("signin.failed")) : null,
    h("form", { method: "post", action: "/login", class: "signin" },
      h("label", { for: "token" }, t("signin.token")),
      h("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true }),
      h("button", { type: "submit" }, t("signin.submit")))));
}

async function signOut() {
  try { await api("/api/session/", { method: "DELETE" }); } catch (_) { /* cookie cleared anyway */ }
  me = null;
  history.replaceState(null, "", "/");
  route();
}

function steps(current) {
  return h("ol", { class: "steps", "aria-label": t("steps") },
    ["step.upload", "step.charts", "step.style", "step.run"].map((k, i) =>
      h("li", { "aria-current": i === current ? "step" : false }, t(k))));
}

async function uploadPage() {
  const file = h("input", { type: "file", id: "file", accept: ".xlsx,.xls,.ods", class: "sr-only" });
  const status = h("div", { "aria-live": "polite", id: "upload-status" });
  const drop = h("label", { for: "file", class: "drop", tabindex: "-1" },
    h("span", {}, t("upload.drop")), h("span", { class: "button" }, t("upload.choose")));
  const summary = h("div", { id: "summary" });
  const send = async (f) => {
    if (!f) return;
    fill(status, h("p", { class: "muted" }, t("upload.busy")));
    fill(summary);
    const form = new FormData();
    form.append("source_data", f, f.name);
    try {
      const ds = await api("/api/datasets/", { method: "POST", form });
      fill(status);
      showDataset(summary, ds);
      loadPrevious(previous).catch(() => {});
    } catch (e) {
      fill(status, h("div", { class: "error", role: "alert", "data-testid": "upload-error" },
        h("strong", {}, t("upload.failed")), h("br"), h("code", {}, e.code), " ", e.message));
    }
  };
  file.addEventListener("change", () => send(file.files[0]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); send(e.dataTransfer.files[0]); });
  const previous = h("ul", { class: "previous" });
  fill(main, steps(0), h("h1", {}, t("upload.title")),
    h("section", { class: "panel" }, h("p", {}, t("upload.help")), file, drop, status), summary,
    h("section", { class: "panel" }, h("h2", {}, t("upload.previous")), previous));
  await loadPrevious(previous);
}

async function loadPrevious(previous) {
  const list = await api("/api/datasets/?page_size=10");
  fill(previous, list.results.length ? list.results.map((d) => h("li", {},
    h("a", { href: `#/charts/${encodeURIComponent(d.id)}` }, d.file_name), " ",
    h("span", { class: "muted" }, `${d.created_at.slice(0, 16).replace("T", " ")} · ${d.facets.length} ${t("dataset.facets").toLowerCase()}`)))
    : h("li", { class: "muted" }, t("upload.none")));
}

function showDataset(root, ds) {
  fill(root, h("section", { class: "panel", "data-testid": "dataset" },
    h("h2", {}, ds.file_name),
    h("dl", { class: "facts" },
      h("dt", {}, t("dataset.query")), h("dd", {}, h("code", { class: "query" }, ds.query || "—")),
      h("dt", {}, t("dataset.results")), h("dd", {}, ds.result_count ?? "—"),
      h("dt", {}, t("dataset.facets")), h("dd", {}, String(ds.facets.length))),
    h("div", { class: "table-wrap" }, h("table", { class: "facets" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("dataset.facet")), h("th", { scope: "col", class: "num" }, t("dataset.entriesHeader")), h("th", { scope: "col" }, t("dataset.top")))),
      h("tbody", {}, ds.facets.map((f) => h("tr", { "data-facet": f.name },
        h("th", { scope: "row" }, f.source_name, h("br"), h("small", { class: "muted" }, f.name)),
        h("td", { class: "num" }, String(f.entries)),
        h("td", {}, f.top.map((e) => `${e.label} (${e.count})`).join(" · "))))))),
    h("a", { class: "button", href: `#/charts/${encodeURIComponent(ds.id)}`, "data-testid": "to-charts" }, t("charts.title") + " →")));
}

async function chartsPage(datasetId) {
  // The style choices come from the server, which validates them: a
  // palette added to the SDK shows here without a console change.
  const [ds, algorithms, styles] = await Promise.all([
    api(`/api/datasets/${encodeURIComponent(datasetId)}/`), api("/api/algorithms/"), api("/api/styles/")]);
  const have = new Set(ds.facets.filter((f) => f.entries > 0).map((f) => f.name));
  const chosen = [];
  const cards = (algorithms.results || algorithms).map((a) => {
    const missing = (a.required_facets || []).filter((f) => !have.has(f));
    const box = h("input", { type: "checkbox", id: `alg-${a.key}`, disabled: missing.length > 0, "data-key": a.key });
    const form = paramsForm(a.params_schema, a.defaults);
    const settings = h("details", { class: "settings" }, h("summary", {}, t("charts.params")), form.el);
    settings.hidden = true;
    box.addEventListener("change", () => { settings.hidden = !box.checked; settings.open = box.checked; });
    chosen.push({ a, box, form });
    return h("div", { class: "card algorithm" + (missing.length ? " unavailable" : ""), "data-algorithm": a.key },
      h("div", { class: "card-head" }, box, h("label", { for: `alg-${a.key}` }, h("strong", { class: "alg-name" }, a.name))),
      h("p", { class: "alg-description" }, a.description),
      h("p", { class: "muted small" }, missing.length
        ? t("charts.missing", { facets: missing.join(", ") })
        : t("charts.requires", { facets: (a.required_facets || []).join(", ") || "—" })),
      settings);
  });
  const problem = h("p", { class: "error", role: "alert" });
  const palette = h("div", { class: "swatches", role: "radiogroup", "aria-label": t("style.palette") },
    styles.palettes.map(({ name, colors }, i) => {
      const id = `pal-${name}`;
      const colours = colors.slice(0, 6);
      return h("div", { class: "swatch" },
        h("input", { type: "radio", name: "palette", id, value: name, checked: i === 0 }),
        h("label", { for: id }, h("span", { class: "chips", "aria-hidden": "true" },
          colours.map((c) => { const s = h("span", { class: "chip" }); s.style.background = c; return s; })), name));
    }));
  // Charts in the console's language when the server draws it, else in
  // the server's default.
  const chartLocale = styles.locales.includes(getLocale()) ? getLocale() : styles.locales[0];
  const bounded = (id, label, b) => h("div", { class: "field" }, h("label", { for: id }, label),
    h("input", { type: "number", id, value: String(b.default), min: String(b.min), max: String(b.max), step: "1" }));
  const style = h("section", { class: "panel" }, h("h2", {}, t("style.title")),
    h("fieldset", {}, h("legend", {}, t("style.palette")), palette),
    h("div", { class: "grid" },
      bounded("font-size", t("style.fontSize"), styles.font_size_px),
      bounded("width", t("style.width"), styles.width_px),
      bounded("height", t("style.height"), styles.height_px),
      h("div", { class: "field" }, h("label", { for: "chart-locale" }, t("style.locale")),
        h("select", { id: "chart-locale" }, styles.locales.map((l) =>
          h("option", { value: l, selected: l === chartLocale }, t("locale." + l))))),
      h("div", { class: "field" }, h("label", { for: "format" }, t("style.format")),
        h("select", { id: "format" }, styles.output_formats.map((f, i) => h("option", { value: f, selected: i === 0 }, t("format." + f)))))));
  const run = h("button", { type: "button", id: "run", class: "primary" }, t("style.run"));
  run.addEventListener("click", async () => {
    problem.textContent = "";
    const picked = chosen.filter((c) => c.box.checked);
    if (!picked.length) { problem.textContent = t("charts.none"); return; }
    let ok = true;
    const format = $("#format").value;
    const images = picked.map((c) => {
      const r = c.form.read();
      if (!r.ok) { ok = false; c.box.closest(".card").querySelector("details").open = true; }
      return { algorithm_key: c.a.key, params: r.value, output_format: format };
    });
    if (!ok) return;
    const config = {
      palette: main.querySelector("input[name=palette]:checked").value,
      font_size: Number($("#font-size").value), width: Number($("#width").value),
      height: Number($("#height").value), locale: $("#chart-locale").value,
    };
    run.disabled = true;
    try {
      const job = await api("/api/jobs/", { method: "POST", json: {
        dataset_id: datasetId, images, visualization_config: config,
        idempotency_key: `console-${crypto.randomUUID ? crypto.randomUUID() : Date.now()}` } });
      location.hash = `#/jobs/${encodeURIComponent(job.job_id)}`;
    } catch (e) {
      run.disabled = false;
      const fields = Object.entries(e.fields || {}).map(([k, v]) => `${k}: ${v}`);
      problem.textContent = [`${e.code}: ${e.message}`, ...fields].join(" — ");
    }
  });
  fill(main, steps(1), h("h1", {}, t("charts.title")), h("p", { class: "muted" }, ds.file_name),
    h("div", { class: "cards" }, cards), style, h("div", { class: "row" }, run), problem);
}

function jobPage(jobId) {
  const root = h("div");
  fill(main, steps(3), h("h1", {}, t("run.title")), root);
  stopWatching = watchJob(root, jobId);
}

async function historyPage(arg) {
  const params = new URLSearchParams(arg || "");
  const page = Number(params.get("page") || 1);
  const status = params.get("status") || "";
  const q = new URLSearchParams({ page: String(page), page_size: "20" });
  if (status) q.set("status", status);
  const list = await api(`/api/jobs/?${q}`);
  const filter = h("select", { id: "status-filter" }, h("option", { value: "" }, t("history.all")),
    ["PENDING", "RUNNING", "SUCCESS", "PARTIAL_SUCCESS", "FAILED", "CANCELLED"].map((s) =>
      h("option", { value: s, selected: s === status }, t("status." + s))));
  filter.addEventListener("change", () => { location.hash = `#/history/${new URLSearchParams({ status: filter.value, page: "1" })}`; });
  const pages = Math.max(1, Math.ceil(list.count / list.page_size));
  const go = (p) => `#/history/${new URLSearchParams({ status, page: String(p) })}`;
  fill(main, h("h1", {}, t("history.title")),
    h("div", { class: "row" }, h("label", { for: "status-filter" }, t("history.status")), filter),
    list.results.length ? h("div", { class: "table-wrap" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("history.created")), h("th", { scope: "col" }, t("history.status")), h("th", { scope: "col", class: "num" }, "%"), h("th", { scope: "col" }, ""))),
      h("tbody", {}, list.results.map((j) => h("tr", {},
        h("td", {}, j.created_at.slice(0, 19).replace("T", " ")),
        h("td", {}, h("span", { class: "badge", dataset: { status: j.status } }, t("status." + j.status))),
        h("td", { class: "num" }, String(j.progress_total)),
        h("td", {}, h("a", { href: `#/jobs/${encodeURIComponent(j.id)}` }, t("history.open")), " · ",
          h("a", { href: `#/charts/${encodeURIComponent(j.dataset_id)}` }, t("gallery.again")))))))) : h("p", { class: "muted" }, t("history.none")),
    h("nav", { class: "pager", "aria-label": t("history.pages") },
      page > 1 ? h("a", { href: go(page - 1) }, t("history.prev")) : null,
      h("span", {}, t("history.page", { p: page, n: pages })),
      page < pages ? h("a", { href: go(page + 1) }, t("history.next")) : null));
}

start().catch((e) => { fill(main, h("p", { class: "error" }, t("error.network"), " ", e.message)); toast(t("error.generic")); });
