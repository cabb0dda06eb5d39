// Moving between pages: the address after # names the page; the router draws it.

let router = () => {};

export function setRouter(draw) { router = draw; }

// Draws the current page again (after a change the page shows).
export function refresh() { return router(); }

export function go(hash) {
  if (location.hash !== hash) location.hash = hash;
  else router();
}
