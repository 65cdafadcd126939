// Django admin, corrected where axe-core (tests/browser/test_accessibility.py) finds it falls short
// and no template can: the two-box selector's (SelectFilter2.js) search icon is a <span> with an
// aria-label, a name that only an element with a role may have. It is an image with that name.
"use strict";

(() => {
  const fix = () => {
    for (const icon of document.querySelectorAll(".search-label-icon[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
  };
  new MutationObserver(fix).observe(document.body, { childList: true, subtree: true });
  fix();
})();
