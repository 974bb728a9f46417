// Run and watch a job: its WebSocket drives the progress bar, per-chart
// status and the event log; after a dropped connection it reconnects with
// `?after=<last event id>` so nothing is lost or shown twice; when
// WebSockets fail outright it polls the events endpoint instead. Then the
// gallery, downloads, and descriptions streamed on the same channel.

import { api, local, wsUrl } from "./api.js";
import { h, fill, toast } from "./dom.js";
import { t, getLocale } from "./i18n.js";

/** Watches job `jobId`, drawing into `root`. Returns a stop function. */
export function watchJob(root, jobId) {
  const state = { last: 0, job: null, socket: null, stopped: false, failures: 0, poll: null,
    descriptions: new Map(), early: new Map(), refreshing: false, again: false, ended: false };
  const bar = h("progress", { max: "100", value: "0", "aria-label": t("run.title") });
  const pct = h("span", { class: "pct", "data-testid": "progress" }, "0 %");
  const link = h("span", { class: "link-state" });
  const cancel = h("button", { type: "button", class: "danger", onclick: () => cancelJob() }, t("run.cancel"));
  const statusLine = h("p", { class: "job-status", "aria-live": "polite" });
  const log = h("ol", { class: "log", "aria-label": t("run.log") });
  const gallery = h("div", { class: "gallery", "aria-live": "polite" });
  const zip = h("a", { class: "button", href: `/api/jobs/${encodeURIComponent(jobId)}/download-zip/`, download: "", hidden: true, "data-testid": "zip" }, t("gallery.zip"));
  const again = h("a", { class: "button secondary", href: "#/", hidden: true }, t("gallery.again"));
  fill(root,
    h("section", { class: "panel" },
      h("div", { class: "progress-row" }, bar, pct, cancel),
      statusLine, link),
    h("section", { class: "panel" }, h("div", { class: "row" }, h("h2", {}, t("run.gallery")), zip, again), gallery),
    h("details", { class: "panel", open: true }, h("summary", {}, t("run.log")), log));

  async function refresh() {
    // One refresh at a time; a request during one runs once after it.
    if (state.refreshing) { state.again = true; return; }
    state.refreshing = true;
    try {
      do {
        state.again = false;
        state.job = await api(`/api/jobs/${encodeURIComponent(jobId)}/`);
        draw();
      } while (state.again);
    } catch (e) {
      statusLine.textContent = `${e.code}: ${e.message}`;
    } finally {
      state.refreshing = false;
    }
  }

  function draw() {
    const job = state.job;
    bar.value = job.progress_total;
    pct.textContent = `${job.progress_total} %`;
    statusLine.textContent = t("status." + job.status);
    statusLine.dataset.status = job.status;
    const terminal = ["SUCCESS", "FAILED", "CANCELLED", "PARTIAL_SUCCESS"].includes(job.status);
    cancel.hidden = terminal;
    zip.hidden = !terminal || !job.image_tasks.some((x) => x.status === "SUCCESS");
    again.hidden = !terminal;
    again.href = `#/charts/${encodeURIComponent(job.dataset_id)}`;
    state.ended = terminal;
    for (const task of job.image_tasks) drawCard(task);
  }

  const cards = new Map();
  function drawCard(task) {
    let c = cards.get(task.id);
    if (!c) {
      c = { el: h("figure", { class: "card chart", "data-task": task.id }), shown: "" };
      cards.set(task.id, c);
      gallery.appendChild(c.el);
    }
    const key = task.status + ":" + task.progress;
    if (c.shown === key) return;
    c.shown = key;
    const title = (task.chart_data && task.chart_data.title) || task.algorithm_key;
    const parts = [h("figcaption", {}, h("strong", {}, title), " ",
      h("span", { class: "badge", dataset: { status: task.status } }, t("status." + task.status)))];
    if (task.status === "SUCCESS") {
      const png = local(task.png_url);
      const svg = local(task.svg_url);
      if (png) parts.push(h("a", { href: png, target: "_blank", rel: "noopener", title: t("gallery.open") },
        h("img", { src: png, alt: title, loading: "lazy", width: task.chart_data?.width })));
      else if (svg) parts.push(h("a", { href: svg, target: "_blank", rel: "noopener" }, h("img", { src: svg, alt: title })));
      const data = URL.createObjectURL(new Blob([JSON.stringify(task.chart_data, null, 2)], { type: "application/json" }));
      parts.push(h("div", { class: "downloads" },
        png ? h("a", { href: png, download: `${task.algorithm_key}.png` }, t("gallery.png")) : null,
        svg ? h("a", { href: svg, download: `${task.algorithm_key}.svg` }, t("gallery.svg")) : null,
        h("a", { href: data, download: `${task.algorithm_key}.json` }, t("gallery.data"))));
      parts.push(describeBox(task));
    } else if (task.status === "FAILED") {
      parts.push(h("p", { class: "error" }, h("code", {}, task.error_code || "FAILED"), " ", task.error_message || ""));
    } else if (task.status === "PENDING" || task.status === "RUNNING") {
      parts.push(h("progress", { max: "100", value: String(task.progress), "aria-label": title }));
    }
    fill(c.el, parts);
  }

  function describeBox(task) {
    const out = h("p", { class: "description", "aria-live": "polite", "data-testid": "description" });
    const provider = h("select", { "aria-label": t("describe.provider") });
    const model = h("select", { "aria-label": t("describe.model") });
    const locale = h("select", { "aria-label": t("describe.locale") },
      h("option", { value: "en", selected: getLocale() === "en" }, "English"),
      h("option", { value: "es", selected: getLocale() === "es" }, "Español"));
    const context = h("textarea", { rows: "2", maxlength: "2000", "aria-label": t("describe.context"), placeholder: t("describe.context") });
    const copy = h("button", { type: "button", class: "secondary", hidden: true,
      onclick: async () => { try { await navigator.clipboard.writeText(out.textContent); toast(t("describe.copied")); } catch (_) { toast(t("error.generic")); } } }, t("describe.copy"));
    const go = h("button", { type: "button", onclick: async () => {
      go.disabled = true;
      out.textContent = "";
      out.dataset.state = "writing";
      try {
        const r = await api("/api/ai/describe/", { method: "POST", json: {
          image_task_id: task.id, provider: provider.value || undefined, model: model.value || undefined,
          locale: locale.value, user_context: context.value.trim() || undefined } });
        const d = { out, copy, go };
        state.descriptions.set(r.description_task_id, d);
        // A fast provider's events can arrive before this answer did.
        for (const ev of state.early.get(r.description_task_id) || []) describeEvent(d, ev);
        state.early.delete(r.description_task_id);
      } catch (e) {
        out.textContent = `${e.code}: ${e.message}`;
        go.disabled = false;
      }
    } }, t("gallery.describe"));
    loadModels().then((catalog) => {
      for (const p of catalog.providers || []) {
        provider.appendChild(h("option", { value: p.name || p.provider }, p.name || p.provider));
      }
      // The server's default first choice, as a request without one gets.
      if (catalog.default_provider) provider.value = catalog.default_provider;
      const fillModels = () => {
        const p = (catalog.providers || []).find((x) => (x.name || x.provider) === provider.value);
        fill(model, ((p && p.models) || []).map((m) => h("option", { value: m, selected: p && m === p.default_model }, m)));
      };
      provider.addEventListener("change", fillModels);
      fillModels();
    });
    return h("details", { class: "describe" }, h("summary", {}, t("gallery.describe")),
      h("div", { class: "describe-form" }, provider, model, locale, context, go), out, copy);
  }

  function onEvent(ev) {
    if (ev.id <= state.last) return;
    state.last = ev.id;
    const when = (ev.created_at || "").slice(11, 19);
    log.appendChild(h("li", { class: "lvl-" + (ev.level || "INFO").toLowerCase() },
      h("time", {}, when), " ", h("code", {}, ev.event_type), " ", ev.message || ""));
    if (log.children.length > 400) log.firstElementChild.remove();
    const p = ev.payload || {};
    if (p.description_task_id) {
      const d = state.descriptions.get(p.description_task_id);
      if (d) describeEvent(d, ev);
      else if (state.early.size < 50) {
        const list = state.early.get(p.description_task_id) || [];
        list.push(ev);
        state.early.set(p.description_task_id, list);
      }
      return;
    }
    if (ev.entity_type !== "description_task") refresh();
  }

  function describeEvent(d, ev) {
    const p = ev.payload || {};
    if (p.reset) d.out.textContent = "";
    if (typeof p.chunk === "string") d.out.textContent += p.chunk;
    if (ev.event_type === "DONE" || ev.event_type === "ERROR" || ev.event_type === "CANCELLED") {
      api(`/api/description-tasks/${encodeURIComponent(p.description_task_id)}/`).then((task) => {
        d.out.textContent = task.result_text || `${task.error_code}: ${task.error_message}`;
        d.out.dataset.state = task.status;
        d.copy.hidden = !task.result_text;
        d.go.disabled = false;
      }).catch((e) => { d.out.textContent = `${e.code}: ${e.message}`; d.go.disabled = false; });
    }
  }

  function connect() {
    if (state.stopped) return;
    const ws = new WebSocket(wsUrl(jobId, state.last));
    state.socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      state.failures = 0;
      link.textContent = t("run.live");
      link.dataset.mode = "live";
      // How many times the page has (re)connected: visible to anyone
      // checking that a dropped connection was resumed.
      link.dataset.connections = String(Number(link.dataset.connections || 0) + 1);
    };
    ws.onmessage = (m) => { try { onEvent(JSON.parse(m.data)); } catch (_) { /* not an event */ } };
    ws.onclose = () => {
      if (state.stopped) return;
      state.failures = opened ? 0 : state.failures + 1;
      if (state.failures >= 3) return startPolling();
      link.textContent = t("run.reconnecting");
      link.dataset.mode = "reconnecting";
      setTimeout(connect, opened ? 300 : 1000);
    };
  }

  function startPolling() {
    link.textContent = t("run.polling");
    link.dataset.mode = "polling";
    const tick = async () => {
      if (state.stopped) return;
      try {
        const page = await api(`/api/jobs/${encodeURIComponent(jobId)}/events/?after=${state.last}&limit=500`);
        for (const ev of page.results || page.events || []) onEvent(ev);
      } catch (_) { /* try again next tick */ }
      state.poll = setTimeout(tick, 2000);
    };
    tick();
  }

  async function cancelJob() {
    try {
      await api(`/api/jobs/${encodeURIComponent(jobId)}/cancel/`, { method: "POST" });
      toast(t("run.cancelled"));
      refresh();
    } catch (e) {
      toast(`${e.code}: ${e.message}`);
    }
  }

  refresh();
  if ("WebSocket" in window) connect(); else startPolling();
  return () => {
    state.stopped = true;
    clearTimeout(state.poll);
    if (state.socket) state.socket.close();
  };
}

let models;
function loadModels() {
  models = models || api("/api/ai/models/").catch(() => ({ providers: [] }));
  return models;
}
