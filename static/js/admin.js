// Django admin, corrected where axe-core (tests/browser/test_accessibility.py) finds it falls short
// and no template can (the widgets' templates are the form renderer's, and SelectFilter2.js draws
// its own markup):
// - the two-box selector's search icon is a <span> with an aria-label, a name that only an element
//   with a role may have: it is an image with that name;
// - a date-and-time field is two boxes after "Date:" and "Time:" with no label of their own: each
//   is named from the field's label and its part ("Last login: date").
"use strict";

(() => {
  const clean = (text) => text.replace(/:\s*$/, "").trim();
  const fix = () => {
    for (const icon of document.querySelectorAll(".search-label-icon[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
    for (const pair of document.querySelectorAll("p.datetime")) {
      const label = pair.closest(".flex-container")?.querySelector("label");
      for (const input of pair.querySelectorAll("input:not([aria-label])")) {
        const part = input.previousSibling?.textContent ?? "";
        const name = [label ? clean(label.textContent) : "", clean(part).toLowerCase()];
        input.setAttribute("aria-label", name.filter(Boolean).join(": "));
      }
    }
  };
  new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  fix();
})();
