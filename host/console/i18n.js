// UI text in English and Spanish. The choice is remembered in
// localStorage; the first visit follows the browser's language.

const en = {
  skip: "Skip to content", language: "Language", loading: "Loading…",
  "nav.main": "Main", "locale.en": "English", "locale.es": "Spanish",
  "nav.new": "New chart", "nav.history": "History", "nav.operators": "Operators",
  signout: "Sign out", "signin.title": "Sign in",
  "signin.help": "Open the login URL that `patchart serve` printed, or paste an API token (from `patchart token create`).",
  "signin.token": "API token", "signin.submit": "Sign in",
  "signin.failed": "That token signs no one in (unknown, revoked, expired, or a login URL already used).",
  steps: "Steps", "history.pages": "Pages", "step.upload": "1. Upload", "step.charts": "2. Charts", "step.style": "3. Style", "step.run": "4. Run",
  "upload.title": "Upload an Espacenet export",
  "upload.help": "An Espacenet “Filters” export: .xlsx, .xls or .ods. The server reads it and shows what it found before any chart is drawn.",
  "upload.drop": "Drop the file here, or choose it", "upload.choose": "Choose file",
  "upload.busy": "Reading the file…", "upload.failed": "The file could not be read",
  "upload.previous": "Or pick a dataset you uploaded before", "upload.none": "No datasets yet.",
  "upload.use": "Use", "dataset.query": "Query", "dataset.results": "Results",
  "dataset.facets": "Facets", "dataset.entries": "entries", "dataset.total": "documents",
  "dataset.facet": "Facet", "dataset.entriesHeader": "Entries", "dataset.top": "Top entries",
  "charts.title": "Choose charts", "charts.next": "Next: style",
  "charts.missing": "Needs facet: {facets}", "charts.requires": "Uses: {facets}",
  "charts.none": "Pick at least one chart.", "charts.params": "Settings",
  "form.required": "Required", "form.min": "At least {n}", "form.max": "At most {n}",
  "form.integer": "A whole number", "form.number": "A number", "form.maxItems": "At most {n} items",
  "form.minLength": "At least {n} characters", "form.maxLength": "At most {n} characters",
  "form.commas": "Separate with commas", "form.enum": "Choose one of the values",
  "style.title": "Style", "style.palette": "Palette", "style.fontSize": "Font size",
  "style.width": "Width (px)", "style.height": "Height (px)", "style.locale": "Chart language",
  "style.format": "Output format", "style.run": "Draw the charts",
  "format.png": "PNG", "format.svg": "SVG", "format.both": "PNG and SVG",
  "run.title": "Progress", "run.cancel": "Cancel", "run.log": "Event log",
  "run.live": "Live", "run.polling": "Updating every 2 s (no live connection)",
  "run.reconnecting": "Connection lost; resuming…", "run.gallery": "Results",
  "run.cancelled": "Job cancelled.",
  "status.PENDING": "Waiting", "status.RUNNING": "Drawing", "status.SUCCESS": "Done",
  "status.FAILED": "Failed", "status.CANCELLED": "Cancelled", "status.PARTIAL_SUCCESS": "Partly done",
  "gallery.png": "PNG", "gallery.svg": "SVG", "gallery.data": "chart_data", "gallery.zip": "Download all (ZIP)",
  "gallery.open": "Full size", "gallery.describe": "Describe", "gallery.again": "Chart this dataset again",
  "describe.provider": "Provider", "describe.model": "Model", "describe.locale": "Language",
  "describe.context": "Context (optional)", "describe.start": "Write description",
  "describe.copy": "Copy", "describe.copied": "Copied.", "describe.waiting": "Writing…",
  "history.title": "Your jobs", "history.status": "Status", "history.all": "All",
  "history.created": "Created", "history.open": "Open", "history.prev": "Previous", "history.next": "Next",
  "history.none": "No jobs yet.", "history.page": "Page {p} of {n}",
  "ops.title": "Plugins", "ops.key": "Key", "ops.version": "Version", "ops.name": "Name",
  "ops.status": "Status", "ops.source": "Source", "ops.runs": "Runs", "ops.failures": "Failures",
  "ops.p50": "p50 (ms)", "ops.actions": "Actions", "ops.enable": "Enable", "ops.disable": "Disable",
  "ops.retire": "Retire", "ops.limits": "Limits", "ops.memory": "Memory (MiB)", "ops.timeout": "Time limit (ms)",
  "ops.save": "Save", "ops.upload": "Upload a plugin (.wasm)", "ops.uploadButton": "Upload",
  "ops.verdict": "Server's verdict", "ops.accepted": "Accepted: {key} {version}",
  "ops.confirmRetire": "Retire {key} {version}? Jobs can no longer use it.",
  "error.generic": "Something went wrong", "error.network": "The server cannot be reached.",
};

const es = {
  "nav.main": "Principal", "locale.en": "Inglés", "locale.es": "Español",
  skip: "Ir al contenido", language: "Idioma", loading: "Cargando…",
  "nav.new": "Nuevo gráfico", "nav.history": "Historial", "nav.operators": "Operadores",
  signout: "Cerrar sesión", "signin.title": "Iniciar sesión",
  "signin.help": "Abra la URL de acceso que imprimió `patchart serve`, o pegue un token de API (de `patchart token create`).",
  "signin.token": "Token de API", "signin.submit": "Entrar",
  "signin.failed": "Ese token no da acceso (desconocido, revocado, caducado o una URL de acceso ya usada).",
  steps: "Pasos", "history.pages": "Páginas", "step.upload": "1. Subir", "step.charts": "2. Gráficos", "step.style": "3. Estilo", "step.run": "4. Generar",
  "upload.title": "Suba una exportación de Espacenet",
  "upload.help": "Una exportación «Filters» de Espacenet: .xlsx, .xls u .ods. El servidor la lee y muestra lo que encontró antes de dibujar nada.",
  "upload.drop": "Suelte el archivo aquí, o elíjalo", "upload.choose": "Elegir archivo",
  "upload.busy": "Leyendo el archivo…", "upload.failed": "No se pudo leer el archivo",
  "upload.previous": "O elija un conjunto de datos subido antes", "upload.none": "Aún no hay conjuntos de datos.",
  "upload.use": "Usar", "dataset.query": "Consulta", "dataset.results": "Resultados",
  "dataset.facets": "Facetas", "dataset.entries": "entradas", "dataset.total": "documentos",
  "dataset.facet": "Faceta", "dataset.entriesHeader": "Entradas", "dataset.top": "Entradas principales",
  "charts.title": "Elija los gráficos", "charts.next": "Siguiente: estilo",
  "charts.missing": "Falta la faceta: {facets}", "charts.requires": "Usa: {facets}",
  "charts.none": "Elija al menos un gráfico.", "charts.params": "Ajustes",
  "form.required": "Obligatorio", "form.min": "Como mínimo {n}", "form.max": "Como máximo {n}",
  "form.integer": "Un número entero", "form.number": "Un número", "form.maxItems": "Como máximo {n} elementos",
  "form.minLength": "Al menos {n} caracteres", "form.maxLength": "Como máximo {n} caracteres",
  "form.commas": "Separe con comas", "form.enum": "Elija uno de los valores",
  "style.title": "Estilo", "style.palette": "Paleta", "style.fontSize": "Tamaño de letra",
  "style.width": "Ancho (px)", "style.height": "Alto (px)", "style.locale": "Idioma del gráfico",
  "style.format": "Formato de salida", "style.run": "Dibujar los gráficos",
  "format.png": "PNG", "format.svg": "SVG", "format.both": "PNG y SVG",
  "run.title": "Progreso", "run.cancel": "Cancelar", "run.log": "Registro de eventos",
  "run.live": "En directo", "run.polling": "Actualizando cada 2 s (sin conexión en directo)",
  "run.reconnecting": "Conexión perdida; reanudando…", "run.gallery": "Resultados",
  "run.cancelled": "Trabajo cancelado.",
  "status.PENDING": "En espera", "status.RUNNING": "Dibujando", "status.SUCCESS": "Hecho",
  "status.FAILED": "Falló", "status.CANCELLED": "Cancelado", "status.PARTIAL_SUCCESS": "Hecho en parte",
  "gallery.png": "PNG", "gallery.svg": "SVG", "gallery.data": "chart_data", "gallery.zip": "Descargar todo (ZIP)",
  "gallery.open": "Tamaño completo", "gallery.describe": "Describir", "gallery.again": "Volver a graficar estos datos",
  "describe.provider": "Proveedor", "describe.model": "Modelo", "describe.locale": "Idioma",
  "describe.context": "Contexto (opcional)", "describe.start": "Escribir descripción",
  "describe.copy": "Copiar", "describe.copied": "Copiado.", "describe.waiting": "Escribiendo…",
  "history.title": "Sus trabajos", "history.status": "Estado", "history.all": "Todos",
  "history.created": "Creado", "history.open": "Abrir", "history.prev": "Anterior", "history.next": "Siguiente",
  "history.none": "Aún no hay trabajos.", "history.page": "Página {p} de {n}",
  "ops.title": "Plugins", "ops.key": "Clave", "ops.version": "Versión", "ops.name": "Nombre",
  "ops.status": "Estado", "ops.source": "Origen", "ops.runs": "Ejecuciones", "ops.failures": "Fallos",
  "ops.p50": "p50 (ms)", "ops.actions": "Acciones", "ops.enable": "Activar", "ops.disable": "Desactivar",
  "ops.retire": "Retirar", "ops.limits": "Límites", "ops.memory": "Memoria (MiB)", "ops.timeout": "Tiempo límite (ms)",
  "ops.save": "Guardar", "ops.upload": "Subir un plugin (.wasm)", "ops.uploadButton": "Subir",
  "ops.verdict": "Veredicto del servidor", "ops.accepted": "Aceptado: {key} {version}",
  "ops.confirmRetire": "¿Retirar {key} {version}? Los trabajos ya no podrán usarlo.",
  "error.generic": "Algo salió mal", "error.network": "No se puede contactar con el servidor.",
};

const dictionaries = { en, es };
const KEY = "patchart.locale";

function initial() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved && dictionaries[saved]) return saved;
  } catch (_) { /* storage disabled: follow the browser */ }
  return (navigator.language || "en").toLowerCase().startsWith("es") ? "es" : "en";
}

let locale = initial();

export function getLocale() { return locale; }

export function setLocale(l) {
  if (!dictionaries[l]) return;
  locale = l;
  try { localStorage.setItem(KEY, l); } catch (_) { /* not remembered */ }
  document.documentElement.lang = l;
  translateStatic();
}

/** The text for `key`, with `{name}` replaced from `vars`. */
export function t(key, vars) {
  let s = dictionaries[locale][key] ?? en[key] ?? key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** Re-labels the page's fixed elements (`data-i18n`). */
export function translateStatic() {
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}
