// Calls to /api/v2.0 with the session cookie and Harbor's CSRF token.
import { go } from "./nav.js";

const API = "/api/v2.0";
export const state = { user: null, csrf: "" };

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// One call to the API, answering the response; a refusal becomes an ApiError with Harbor's message.
async function send(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.csrf) headers["X-Harbor-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const token = response.headers.get("X-Harbor-CSRF-Token");
  if (token) state.csrf = token;
  const text = await response.text();
  if (!response.ok) {
    if (response.status === 401 && state.user) { state.user = null; go("#/login"); }
    let data = null;
    try { data = JSON.parse(text); } catch { /* not Harbor's error JSON: the status text says it */ }
    const message = data && data.errors && data.errors[0] ? data.errors[0].message : response.statusText;
    throw new ApiError(response.status, message);
  }
  return { text, response };
}

export async function api(method, path, body) {
  const { text } = await send(method, path, body);
  return text ? JSON.parse(text) : null;
}

export const apiText = async (path) => (await send("GET", path)).text;

// One page of a list and how many items the list has in all (Harbor's X-Total-Count).
export async function apiPage(path, params) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v !== undefined));
  const { text, response } = await send("GET", `${path}${path.includes("?") ? "&" : "?"}${query}`);
  const items = text ? JSON.parse(text) : [];
  return { items, total: Number(response.headers.get("X-Total-Count") ?? items.length) };
}
