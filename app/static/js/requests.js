// Data requests, live: the request page, the queues and the counts in the navigation and on
// the home page follow every decision without a reload.
//
// live.js dispatches "bridgework:event" for each event of a followed stream: the request's
// own (request:<id>) on its page, and the viewer's user:<id> stream everywhere, on which
// every change of a request that may alter their lists is announced. On such an event this
// script fetches the counts from the API, and the page's own address, and replaces each
// region marked data-live-region with its fresh version (translated and shaped for this
// viewer by the server). A region holding a form someone is filling in is left alone until
// it is sent. Changes are announced to screen readers through aria-live regions.
(() => {
  "use strict";

  const DEBOUNCE_MS = 150;
  let timer = null;
  let lastText = "";
  let countsUrl = "";

  function isDirty(region) {
    const active = document.activeElement;
    if (active && region.contains(active) && active.matches("input, textarea, select")) {
      return true;
    }
    return Array.from(region.querySelectorAll("input, textarea, select")).some((control) => {
      if (control.type === "hidden") {
        return false;
      }
      if (control.type === "checkbox" || control.type === "radio") {
        return control.checked !== control.defaultChecked;
      }
      if (control.tagName === "SELECT") {
        return Array.from(control.options).some((option) => option.selected !== option.defaultSelected);
      }
      return control.value !== control.defaultValue;
    });
  }

  function setCount(key, value) {
    document.querySelectorAll(`[data-request-count="${key}"]`).forEach((element) => {
      element.textContent = String(value);
      if (key === "waiting") {
        element.classList.toggle("attention", value > 0 && element.closest("nav") !== null);
      }
    });
  }

  function announce(id, text) {
    const region = document.getElementById(id);
    if (region && text) {
      region.textContent = "";
      window.setTimeout(() => { region.textContent = text; }, 50);
    }
  }

  async function refreshCounts() {
    if (!countsUrl) {
      return;
    }
    const response = await fetch(countsUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      return;
    }
    const counts = await response.json();
    const before = document.querySelector('nav [data-request-count="waiting"]');
    const changed = before && before.textContent !== String(counts.waiting);
    setCount("filed_open", counts.filed_open);
    setCount("waiting", counts.waiting);
    setCount("waiting_overdue", counts.waiting_overdue);
    document.querySelectorAll("[data-request-overdue]").forEach((element) => {
      element.hidden = counts.waiting_overdue === 0;
    });
    const template = document.body.dataset.waitingAnnouncement || "";
    if (changed && template) {
      announce("request-counts-announcer", template.replace("{num}", String(counts.waiting)));
    }
  }

  async function refreshRegions() {
    const page = document.querySelector("[data-live-page]");
    const regions = document.querySelectorAll("[data-live-region][id]");
    if (!page || regions.length === 0) {
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
    regions.forEach((region) => {
      const replacement = fresh.getElementById(region.id);
      if (!replacement || isDirty(region)) {
        return;
      }
      region.innerHTML = replacement.innerHTML;
    });
    announce("request-announcer", lastText);
  }

  function refresh() {
    timer = null;
    refreshCounts().catch(() => {});
    refreshRegions().catch(() => {});
  }

  document.addEventListener("DOMContentLoaded", () => {
    countsUrl = document.body.dataset.requestCountsUrl || "";
  });

  document.addEventListener("bridgework:event", (event) => {
    const message = event.detail || {};
    if (!String(message.type || "").startsWith("data_request.")) {
      return;
    }
    if (message.data && typeof message.data.text === "string") {
      lastText = message.data.text;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DEBOUNCE_MS);
  });
})();
