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
// departments, details) fills the page's [data-stale-on] region with a reload link.
// data-stale-on lists event type prefixes separated by spaces.
document.addEventListener("bridgework:event", (event) => {
  const type = (event.detail && event.detail.type) || "";
  document.querySelectorAll("[data-stale-on]").forEach((notice) => {
    const prefixes = notice.getAttribute("data-stale-on").split(/\s+/).filter(Boolean);
    if (notice.childElementCount > 0 || !prefixes.some((prefix) => type.startsWith(prefix))) {
      return;
    }
    const link = document.createElement("a");
    link.href = window.location.pathname + window.location.search;
    const strings = pageStrings();
    link.textContent = strings.reload || "Reload to see the latest";
    notice.append(`${strings.changed || "This page has changed since you opened it."} `, link);
  });
});

// The words scripts show, in the reader's language (base.html's #page-config).
function pageStrings() {
  try {
    return JSON.parse(document.getElementById("page-config").textContent).strings || {};
  } catch (error) {
    return {};
  }
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
