// Grants, live: the grant page follows its grant:<id> stream. On any grant event (a read,
// a revocation, an expiry) it fetches the page's own address and replaces each region
// marked data-live-region with its fresh version, so a revoked grant loses its download
// button at once; the event's text is announced to screen readers (#grant-announcer).
// A region holding a form someone is filling in is left alone until it is sent.
(() => {
  "use strict";

  const DEBOUNCE_MS = 150;
  let timer = null;
  let lastText = "";

  function isDirty(region) {
    return Array.from(region.querySelectorAll("textarea, input[type=checkbox]")).some(
      (control) => (control.type === "checkbox" ? control.checked : control.value !== control.defaultValue),
    );
  }

  async function refreshRegions() {
    const page = document.querySelector(".grant-page[data-live-page]");
    if (!page) {
      return;
    }
    const response = await fetch(page.dataset.livePage, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) {
      return;
    }
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    page.querySelectorAll("[data-live-region][id]").forEach((region) => {
      const replacement = fresh.getElementById(region.id);
      if (replacement && !isDirty(region)) {
        region.innerHTML = replacement.innerHTML;
      }
    });
    const announcer = document.getElementById("grant-announcer");
    if (announcer && lastText) {
      announcer.textContent = "";
      window.setTimeout(() => { announcer.textContent = lastText; }, 50);
    }
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => refreshRegions().catch(() => {}), DEBOUNCE_MS);
  }

  document.addEventListener("bridgework:event", (event) => {
    const message = event.detail || {};
    if (!String(message.type || "").startsWith("grant.")) {
      return;
    }
    if (message.data && typeof message.data.text === "string") {
      lastText = message.data.text;
    }
    schedule();
  });

  document.addEventListener("bridgework:ended", (event) => {
    if (String((event.detail || {}).stream || "").startsWith("grant:")) {
      schedule();
    }
  });
})();
