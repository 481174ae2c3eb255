// The REST API of this server, with the credential the person signs in with kept in this tab's
// sessionStorage and sent as a bearer header on every fetch. No cookie is ever set, so no other
// site can act with the person's credentials (a cross-site request has nothing to borrow).
const KEY_STORAGE = "task-api-credential";

export class Unauthorized extends Error {}

export class Conflict extends Error {}

export function credential() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function remember(key) {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forget() {
  sessionStorage.removeItem(KEY_STORAGE);
}

export function headers(extra = {}) {
  const sent = { ...extra };
  const key = credential();
  if (key) sent.Authorization = `Bearer ${key}`;
  return sent;
}

export async function api(method, path, body) {
  const sent = headers({ Accept: "application/json" });
  if (body !== undefined) sent["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) throw new Unauthorized("sign in with an API key");
  const answer = response.status === 204 ? null : await response.json();
  if (response.status === 409) throw new Conflict(answer?.error?.message ?? "changed elsewhere");
  if (!response.ok) throw new Error(answer?.error?.message ?? `${method} ${path}: HTTP ${response.status}`);
  return answer;
}
