// A list that searches and pages on the server: page and page_size go out, X-Total-Count comes back.
import { apiPage } from "./api.js";
import { h, showError } from "./dom.js";
import { table } from "./ui.js";

const SIZES = [10, 25, 50, 100];

// `path`: the API list; `search`: { label, params(text) → query parameters } or none; `columns` and `empty`
// as table() takes them; `label`: what the list holds, for names read out to screen readers; `tools`:
// elements for the row beside the search box.
// Answers { element, reload }; reload() draws the same page again (or the last one, if it became empty).
export function listView({ path, search, columns, empty, label, params = {}, tools = [] }) {
  const view = { page: 1, size: SIZES[0], text: "", drawn: 0 };
  const body = h("div", {});
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const status = h("span", { class: "muted", "data-testid": "total", "aria-live": "polite" });
  const move = (step) => () => { view.page += step; load(); };
  const prev = h("button", { type: "button", class: "small", "aria-label": `Previous page of ${label}`, onclick: move(-1) }, "‹ Previous");
  const next = h("button", { type: "button", class: "small", "aria-label": `Next page of ${label}`, onclick: move(1) }, "Next ›");
  const sizes = h("select", { "aria-label": `${label} per page`, class: "page-size", onchange: () => {
    view.size = Number(sizes.value);
    view.page = 1;
    load();
  } }, SIZES.map((n) => h("option", { value: n }, `${n} per page`)));
  let timer = null;
  const box = search ? h("input", { type: "search", "aria-label": search.label, placeholder: search.label, autocomplete: "off",
    oninput: () => {
      clearTimeout(timer);
      // Harbor's q separates its terms with commas, so a search cannot hold one.
      timer = setTimeout(() => { view.text = box.value.replace(/,/g, "").trim(); view.page = 1; load(); }, 250);
    } }) : null;

  async function load() {
    const mine = ++view.drawn;  // a slower, older answer never overwrites a newer one
    try {
      const query = { ...params, page: view.page, page_size: view.size, ...(view.text ? search.params(view.text) : {}) };
      const { items, total } = await apiPage(path, query);
      if (mine !== view.drawn) return;
      if (!items.length && view.page > 1) {
        view.page = Math.max(1, Math.ceil(total / view.size));
        await load();
        return;
      }
      error.hidden = true;
      body.replaceChildren(table(columns, items,
        view.text ? ["Nothing found", `No ${label} match “${view.text}”.`] : empty));
      const first = (view.page - 1) * view.size;
      status.textContent = total ? `${first + 1}–${first + items.length} of ${total}` : `0 ${label}`;
      prev.disabled = view.page <= 1;
      next.disabled = first + items.length >= total;
    } catch (e) {
      if (mine === view.drawn) showError(error, e);
    }
  }

  const element = h("div", { class: "list" },
    box || tools.length ? h("div", { class: "list-tools" }, box, h("span", { class: "spacer" }), tools) : null, error, body,
    h("div", { class: "pager" }, status, h("span", { class: "spacer" }), sizes, prev, next));
  load();
  return { element, reload: load };
}
