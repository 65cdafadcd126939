// Swagger UI (drf-spectacular-sidecar's build) as a page of the site that assistive technology can
// read, where no configuration option exists; loaded from the site, so the Content-Security-Policy
// keeps its no-inline-script rule. Only attributes change: React keeps the elements it drew.
// - the Authorize dialog's close button holds only an SVG: it is named;
// - the operations are Swagger UI's <main>; its title and description, the Authorize button and the
//   Authorize dialog are outside it: they become a region each (the dialog a modal dialog);
// - the title is an <h1> and the sections under it <h3>..<h6>: each is read one level higher.
"use strict";

(() => {
  const docs = document.getElementById("swagger-ui");
  const REGIONS = [
    [".information-container", "region", "About the API"],
    [".scheme-container", "region", "Authorization"],
    [".modal-ux", "dialog", "Available authorizations"],
  ];
  const fix = () => {
    for (const button of docs.querySelectorAll("button.close-modal:not([aria-label])")) {
      button.setAttribute("aria-label", "Close");
    }
    for (const [selector, role, name] of REGIONS) {
      for (const element of docs.querySelectorAll(`${selector}:not([role])`)) {
        element.setAttribute("role", role);
        element.setAttribute("aria-label", name);
        if (role === "dialog") {
          element.setAttribute("aria-modal", "true");
        }
      }
    }
    for (const heading of docs.querySelectorAll("h3, h4, h5, h6")) {
      if (!heading.hasAttribute("aria-level")) {
        heading.setAttribute("aria-level", String(Number(heading.tagName[1]) - 1));
      }
    }
  };
  if (docs) {
    new MutationObserver(fix).observe(docs, { childList: true, subtree: true });
  }
})();
