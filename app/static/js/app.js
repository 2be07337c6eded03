// Bridgework page behaviour that needs no server round trip.
// Forms marked data-confirm ask before a destructive action is sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A live event that changes what a page shows outside its activity feed (members,
// departments, details, home cards, the notification list) brings that part up to date in
// place: the page is fetched again and each [data-refresh-on] region whose event types
// (prefixes, space-separated) match is swapped for its new version. A region holding the
// keyboard focus in a field waits until the focus leaves it, so nobody loses what they
// type. What changed is announced in #live-announcer for screen readers.
(() => {
  const DELAY_MS = 250;
  const due = new Set();
  let timer = null;

  function matching(type) {
    return [...document.querySelectorAll("[data-refresh-on][id]")].filter((region) =>
      region.dataset.refreshOn.split(/\s+/).some((prefix) => prefix && type.startsWith(prefix)),
    );
  }

  function busy(region) {
    const active = document.activeElement;
    return Boolean(active && region.contains(active) && active.matches("input, select, textarea"));
  }

  async function refresh() {
    timer = null;
    const ids = [...due];
    due.clear();
    const response = await fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    });
    if (!response.ok || response.redirected) {
      return;
    }
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    ids.forEach((id) => {
      const region = document.getElementById(id);
      const replacement = fresh.getElementById(id);
      if (!region || !replacement) {
        return;
      }
      if (busy(region)) {
        region.addEventListener("focusout", () => schedule([region]), { once: true });
        return;
      }
      region.replaceWith(document.importNode(replacement, true));
    });
  }

  function schedule(regions) {
    regions.forEach((region) => due.add(region.id));
    if (!timer && due.size) {
      timer = window.setTimeout(refresh, DELAY_MS);
    }
  }

  function announce(message) {
    const announcer = document.getElementById("live-announcer");
    const data = message && message.data;
    const lang = (pageConfig().locale || "en").replace("-", "_");
    const text = (data && data.texts && data.texts[lang]) || (data && data.text);
    if (announcer && typeof text === "string" && !document.querySelector(".activity-feed")) {
      announcer.textContent = text;
    }
  }

  // A stream followed inside a region (a home card's workspace) refreshes that region on
  // any of its events, whatever their type.
  function holding(element) {
    const region = element instanceof Element && element.dataset.liveStream
      ? element.closest("[data-refresh-on][id]")
      : null;
    return region ? [region] : [];
  }

  document.addEventListener("bridgework:event", (event) => {
    const type = (event.detail && event.detail.type) || "";
    const regions = [...new Set([...matching(type), ...holding(event.target)])];
    if (regions.length) {
      schedule(regions);
      announce(event.detail);
    }
  });
})();

// When the server closes this page's live connection, ask why: an account deactivated (or
// a session ended elsewhere) clears the page's data and says so, instead of leaving it on
// show behind an "Offline" pill.
document.addEventListener("bridgework:disconnected", async () => {
  const status = document.body.dataset.sessionUrl;
  if (!status) {
    return;
  }
  let state;
  try {
    const response = await fetch(status, { credentials: "same-origin", headers: { Accept: "application/json" } });
    state = await response.json();
  } catch (error) {
    return;
  }
  if (!state || state.signed_in) {
    return;
  }
  const main = document.getElementById("main");
  const box = document.createElement("div");
  box.className = "banner danger";
  box.setAttribute("role", "alert");
  const words = pageStrings();
  box.textContent = state.message || words.signedOut || "";
  const link = document.createElement("a");
  link.href = state.sign_in_url || "/login";
  link.textContent = words.signIn || "Sign in";
  const paragraph = document.createElement("p");
  paragraph.append(link);
  main.replaceChildren(box, paragraph);
  document.querySelectorAll(".site-menu, .bell").forEach((element) => element.remove());
});

// The page's language, time zone and the words scripts show (base.html's #page-config).
function pageConfig() {
  try {
    return JSON.parse(document.getElementById("page-config").textContent) || {};
  } catch (error) {
    return {};
  }
}

function pageStrings() {
  return pageConfig().strings || {};
}

// The header's menu is open on wide screens and folded on phones; the details element
// keeps working by keyboard (and without this script, when it simply stays open).
(() => {
  const menu = document.querySelector("details.site-menu");
  if (!menu || !window.matchMedia) {
    return;
  }
  const narrow = window.matchMedia("(max-width: 40rem)");
  const fit = () => {
    menu.open = !narrow.matches;
  };
  fit();
  narrow.addEventListener("change", fit);
})();

// After a form was sent, the page that answers puts the keyboard where the news is: on the
// summary of what went wrong, else the first field in error, else the message saying it
// was done. Screen readers then read it out; the focus outline stays visible.
document.addEventListener("DOMContentLoaded", () => {
  const target =
    document.querySelector(".error-summary, main .form-errors") ||
    document.querySelector("main [aria-invalid='true']") ||
    document.querySelector("main .flashes");
  if (!target) {
    return;
  }
  if (!target.matches("input, select, textarea, button, a[href]")) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus();
});
