// A params form generated from a plugin's JSON Schema: integers and
// numbers with their bounds, enums, booleans, strings, and arrays of
// strings (typed as a comma-separated list). Titles and descriptions come
// from the plugin and are shown as text. A plugin uploaded a minute ago
// gets its form with no console code.

import { h } from "./dom.js";
import { t } from "./i18n.js";

let seq = 0;

/** { el, read() -> {ok, value} } for `schema` with `defaults`. */
export function paramsForm(schema, defaults) {
  const props = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const fields = Object.entries(props).map(([name, prop]) =>
    field(name, prop || {}, defaults ? defaults[name] : undefined, required.has(name)));
  const el = h("div", { class: "params" }, fields.map((f) => f.el));
  return {
    el,
    read() {
      const value = {};
      let ok = true;
      for (const f of fields) {
        const r = f.read();
        if (!r.ok) ok = false;
        else if (r.value !== undefined) value[f.name] = r.value;
      }
      return { ok, value };
    },
  };
}

function kind(prop) {
  const type = Array.isArray(prop.type) ? prop.type.find((x) => x !== "null") : prop.type;
  if (Array.isArray(prop.enum)) return "enum";
  if (type === "array" && prop.items && (prop.items.type === "string" || prop.items.enum)) return "strings";
  return type || "string";
}

function field(name, prop, dflt, required) {
  const id = `p${++seq}-${name.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
  const initial = dflt !== undefined ? dflt : prop.default;
  const label = prop.title || name;
  const help = prop.description ? h("span", { class: "help", id: id + "-help" }, prop.description) : null;
  const msg = h("span", { class: "field-error", id: id + "-err", "aria-live": "polite" });
  const described = [help ? id + "-help" : null, id + "-err"].filter(Boolean).join(" ");
  const k = kind(prop);
  let input;
  if (k === "boolean") {
    input = h("input", { type: "checkbox", id, name, checked: initial === true, "aria-describedby": described });
    const el = h("div", { class: "field check" }, input, h("label", { for: id }, label), help, msg);
    return { name, el, read: () => ({ ok: true, value: input.checked }) };
  }
  if (k === "enum") {
    input = h("select", { id, name, "aria-describedby": described },
      required || initial !== undefined ? null : h("option", { value: "" }, "—"),
      prop.enum.map((v) => h("option", { value: JSON.stringify(v), selected: v === initial }, String(v))));
  } else if (k === "integer" || k === "number") {
    input = h("input", {
      type: "number", id, name, inputmode: k === "integer" ? "numeric" : "decimal",
      step: k === "integer" ? "1" : "any",
      min: prop.minimum ?? prop.exclusiveMinimum, max: prop.maximum ?? prop.exclusiveMaximum,
      value: initial ?? "", "aria-describedby": described,
    });
  } else if (k === "strings") {
    input = h("input", {
      type: "text", id, name, value: Array.isArray(initial) ? initial.join(", ") : "",
      placeholder: t("form.commas"), "aria-describedby": described,
    });
  } else {
    input = h("input", {
      type: "text", id, name, value: typeof initial === "string" ? initial : "",
      maxlength: prop.maxLength, "aria-describedby": described,
    });
  }
  const el = h("div", { class: "field" }, h("label", { for: id }, label), input, help, msg);
  const read = () => {
    const r = parse(k, prop, input, required);
    msg.textContent = r.ok ? "" : r.error;
    input.setAttribute("aria-invalid", r.ok ? "false" : "true");
    return r;
  };
  input.addEventListener("change", read);
  return { name, el, read };
}

function parse(k, prop, input, required) {
  const raw = input.value.trim();
  if (raw === "") {
    if (required) return { ok: false, error: t("form.required") };
    return { ok: true, value: k === "strings" ? [] : undefined };
  }
  if (k === "enum") return { ok: true, value: JSON.parse(raw) };
  if (k === "integer" || k === "number") {
    const n = Number(raw);
    if (!Number.isFinite(n)) return { ok: false, error: t("form.number") };
    if (k === "integer" && !Number.isInteger(n)) return { ok: false, error: t("form.integer") };
    if (prop.minimum !== undefined && n < prop.minimum) return { ok: false, error: t("form.min", { n: prop.minimum }) };
    if (prop.maximum !== undefined && n > prop.maximum) return { ok: false, error: t("form.max", { n: prop.maximum }) };
    if (prop.exclusiveMinimum !== undefined && n <= prop.exclusiveMinimum) return { ok: false, error: t("form.min", { n: prop.exclusiveMinimum }) };
    if (prop.exclusiveMaximum !== undefined && n >= prop.exclusiveMaximum) return { ok: false, error: t("form.max", { n: prop.exclusiveMaximum }) };
    return { ok: true, value: n };
  }
  if (k === "strings") {
    const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
    if (prop.maxItems !== undefined && items.length > prop.maxItems) return { ok: false, error: t("form.maxItems", { n: prop.maxItems }) };
    const it = prop.items || {};
    for (const s of items) {
      if (it.minLength !== undefined && s.length < it.minLength) return { ok: false, error: t("form.minLength", { n: it.minLength }) };
      if (it.maxLength !== undefined && s.length > it.maxLength) return { ok: false, error: t("form.maxLength", { n: it.maxLength }) };
      if (Array.isArray(it.enum) && !it.enum.includes(s)) return { ok: false, error: t("form.enum") };
    }
    return { ok: true, value: items };
  }
  if (prop.minLength !== undefined && raw.length < prop.minLength) return { ok: false, error: t("form.minLength", { n: prop.minLength }) };
  if (prop.maxLength !== undefined && raw.length > prop.maxLength) return { ok: false, error: t("form.maxLength", { n: prop.maxLength }) };
  return { ok: true, value: raw };
}
