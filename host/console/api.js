// The public API, called with the session cookie the browser holds
// (same-origin fetch sends it; nothing here sees the secret).

export class ApiError extends Error {
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

/** JSON from `path`; throws ApiError with the server's code and message. */
export async function api(path, { method = "GET", json, form } = {}) {
  const opts = { method, headers: { Accept: "application/json" } };
  if (json !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(json);
  } else if (form) {
    opts.body = form;
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, "NETWORK", e.message);
  }
  if (res.status === 204) return null;
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  if (!res.ok) {
    const err = (body && body.error) || {};
    throw new ApiError(res.status, err.code || "HTTP_" + res.status, err.message || res.statusText, err.fields);
  }
  return body;
}

/** A same-origin path for an absolute URL the API returned. */
export function local(url) {
  if (!url) return url;
  try {
    const u = new URL(url, location.href);
    return u.pathname + u.search;
  } catch (_) {
    return url;
  }
}

/** The WebSocket URL of a job's events after `after`. */
export function wsUrl(jobId, after) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/ws/jobs/${encodeURIComponent(jobId)}/?after=${after}`;
}
