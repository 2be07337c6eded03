// Bridgework live updates over Socket.IO (the client is served from static/vendor/socket.io).
//
// Every element with data-live-stream="workspace:12" (or "user:<id>" for the bell) is kept
// current: the page subscribes to its stream on every (re)connection, appends events in
// sequence order, and when a sequence number is skipped, or the connection was lost, it
// fetches what it missed from data-catch-up-url?after=<last seq>. Event text is only ever
// written with textContent. #live-status says whether updates are flowing.
(() => {
  "use strict";

  if (typeof window.io !== "function") {
    return;
  }

  const SAFETY_CHECK_MS = 60000;
  const SUBSCRIBE_TIMEOUT_MS = 10000;
  const RETRY_MIN_MS = 2000;
  const RETRY_MAX_MS = 60000;
  const FEED_LIMIT = 200;
  // The reader's language, time zone and the words this script shows, from the server.
  const CONFIG = readConfig();
  const STATUS_TEXT = {
    connecting: CONFIG.strings.connecting || "Connecting…",
    live: CONFIG.strings.live || "Live",
    reconnecting: CONFIG.strings.reconnecting || "Reconnecting…",
    offline: CONFIG.strings.offline || "Offline",
  };
  const LOCALE_KEY = CONFIG.locale.replace("-", "_");
  const TIME_FORMAT = timeFormat();
  const streams = new Map();

  function readConfig() {
    const fallback = { locale: document.documentElement.lang || "en", timeZone: "UTC", strings: {} };
    const element = document.getElementById("page-config");
    try {
      return Object.assign(fallback, element ? JSON.parse(element.textContent) : {});
    } catch (error) {
      return fallback;
    }
  }

  function timeFormat() {
    const options = { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat(CONFIG.locale, { ...options, timeZone: CONFIG.timeZone });
    } catch (error) {
      return new Intl.DateTimeFormat(CONFIG.locale, options);
    }
  }

  // A live text in the reader's language: the event's rendering for the page's language,
  // else its English text.
  function localText(data, plural, singular) {
    const texts = data && data[plural];
    const text = texts && typeof texts === "object" ? texts[LOCALE_KEY] : null;
    return typeof text === "string" && text ? text : data && data[singular];
  }

  function readSeq(value) {
    const number = Number.parseInt(value || "0", 10);
    return Number.isFinite(number) && number > 0 ? number : 0;
  }

  function collectStreams() {
    document.querySelectorAll("[data-live-stream]").forEach((element) => {
      const name = element.dataset.liveStream;
      let state = streams.get(name);
      if (!state) {
        state = {
          name,
          catchUpUrl: element.dataset.catchUpUrl || "",
          last: Number.POSITIVE_INFINITY,
          fetching: false,
          again: false,
          ended: false,
          retryDelay: RETRY_MIN_MS,
          retryTimer: null,
        };
        streams.set(name, state);
      }
      state.last = Math.min(state.last, readSeq(element.dataset.lastSeq));
      if (!state.catchUpUrl && element.dataset.catchUpUrl) {
        state.catchUpUrl = element.dataset.catchUpUrl;
      }
    });
  }

  // Connection status ------------------------------------------------------------------

  function setStatus(state) {
    const status = document.getElementById("live-status");
    if (!status || status.dataset.state === state) {
      return;
    }
    status.dataset.state = state;
    status.textContent = STATUS_TEXT[state];
  }

  // Rendering --------------------------------------------------------------------------

  // In the reader's language and time zone, like the server-rendered feed.
  function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? "" : TIME_FORMAT.format(date);
  }

  function renderFeedItem(element, message) {
    const feed = element.matches("ol.activity-feed")
      ? element
      : element.querySelector("ol.activity-feed");
    const text = localText(message.data, "texts", "text");
    if (!feed || typeof text !== "string") {
      return;
    }
    if (feed.querySelector(`li[data-seq="${message.seq}"]`)) {
      return;
    }
    const item = document.createElement("li");
    item.dataset.seq = String(message.seq);
    const time = document.createElement("time");
    time.dateTime = message.at || "";
    time.textContent = formatTime(message.at);
    const span = document.createElement("span");
    span.className = "text";
    span.textContent = text;
    item.append(time, " ", span);
    feed.querySelectorAll(".empty-feed").forEach((empty) => empty.remove());
    feed.prepend(item);
    while (feed.children.length > FEED_LIMIT) {
      feed.lastElementChild.remove();
    }
  }

  function renderUnreadCount(element, message) {
    const count = element.querySelector(".bell-count");
    const unread = message.data && message.data.unread;
    if (!count || !Number.isInteger(unread) || unread < 0) {
      return;
    }
    count.textContent = String(unread);
    count.dataset.unread = String(unread);
    const label = CONFIG.strings.bell || "Notifications, {num} unread";
    element.setAttribute("aria-label", label.replace("{num}", unread.toLocaleString(CONFIG.locale)));
  }

  // The elements that show a stream, looked up each time: a region refreshed in place
  // (app.js) brings new ones, and events must reach those rather than the ones it replaced.
  function elementsOf(state) {
    return [...document.querySelectorAll("[data-live-stream]")].filter(
      (element) => element.dataset.liveStream === state.name,
    );
  }

  function apply(state, message) {
    state.last = message.seq;
    elementsOf(state).forEach((element) => {
      if (message.seq <= readSeq(element.dataset.lastSeq)) {
        return;
      }
      element.dataset.lastSeq = String(message.seq);
      renderFeedItem(element, message);
      renderUnreadCount(element, message);
      element.dispatchEvent(new CustomEvent("bridgework:event", { detail: message, bubbles: true }));
    });
  }

  function end(state, reason) {
    state.ended = true;
    window.clearTimeout(state.retryTimer);
    elementsOf(state).forEach((element) => {
      element.dataset.liveState = "ended";
      element.dispatchEvent(
        new CustomEvent("bridgework:ended", { detail: { stream: state.name, reason }, bubbles: true }),
      );
    });
  }

  // Catching up ------------------------------------------------------------------------

  function scheduleRetry(state) {
    window.clearTimeout(state.retryTimer);
    state.retryTimer = window.setTimeout(() => catchUp(state), state.retryDelay);
    state.retryDelay = Math.min(state.retryDelay * 2, RETRY_MAX_MS);
  }

  async function fetchAfter(state) {
    const url = new URL(state.catchUpUrl, window.location.href);
    url.searchParams.set("after", String(state.last));
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      end(state, "access_removed");
      return null;
    }
    if (!response.ok) {
      throw new Error(`catch-up answered ${response.status}`);
    }
    return response.json();
  }

  // Fetch every event after the last one shown, apply them in order, skipping any already
  // shown; repeat while the server reports more (the endpoint answers at most 500).
  async function catchUp(state) {
    if (state.ended || !state.catchUpUrl) {
      return;
    }
    if (state.fetching) {
      state.again = true;
      return;
    }
    state.fetching = true;
    try {
      do {
        state.again = false;
        const body = await fetchAfter(state);
        if (!body) {
          return;
        }
        const before = state.last;
        for (const message of body.items || []) {
          if (message.seq === state.last + 1) {
            apply(state, message);
          }
        }
        if (body.last_seq > state.last) {
          if (state.last === before) {
            throw new Error(`${state.name}: events after ${state.last} are not available yet`);
          }
          state.again = true;
        }
      } while (state.again && !state.ended);
      state.retryDelay = RETRY_MIN_MS;
    } catch (error) {
      scheduleRetry(state);
    } finally {
      state.fetching = false;
    }
  }

  function checkAll() {
    streams.forEach((state) => catchUp(state));
  }

  // The socket -------------------------------------------------------------------------

  collectStreams();
  setStatus("connecting");
  const socket = window.io({ transports: ["websocket", "polling"], tryAllTransports: true });

  function subscribe(state) {
    if (state.ended) {
      return;
    }
    socket
      .timeout(SUBSCRIBE_TIMEOUT_MS)
      .emit("subscribe", { stream: state.name }, (error, ack) => {
        if (error) {
          catchUp(state);
          return;
        }
        if (!ack || !ack.ok) {
          const code = ack && ack.error && ack.error.code;
          if (code === "not_found" || code === "forbidden" || code === "invalid") {
            end(state, code);
          }
          return;
        }
        if (ack.last_seq > state.last) {
          catchUp(state);
        }
      });
  }

  socket.on("connect", () => {
    setStatus("live");
    streams.forEach(subscribe);
  });

  socket.on("disconnect", (reason) => {
    setStatus(reason === "io server disconnect" ? "offline" : "reconnecting");
    if (reason === "io server disconnect") {
      // The server ended this connection on purpose (signed out, deactivated): the page
      // asks why and says so (app.js).
      document.dispatchEvent(new CustomEvent("bridgework:disconnected"));
    }
  });

  socket.on("connect_error", () => {
    setStatus(socket.active ? "reconnecting" : "offline");
  });

  socket.io.on("reconnect_attempt", () => setStatus("reconnecting"));

  socket.on("event", (message) => {
    const state = message && streams.get(message.stream);
    if (!state || state.ended || !Number.isInteger(message.seq) || message.seq <= state.last) {
      return;
    }
    if (message.seq === state.last + 1) {
      apply(state, message);
    } else {
      catchUp(state);
    }
  });

  // Who else follows a stream (case pages show it); pages listen for bridgework:presence.
  socket.on("presence", (message) => {
    if (message && streams.has(message.stream)) {
      document.dispatchEvent(new CustomEvent("bridgework:presence", { detail: message }));
    }
  });

  socket.on("unsubscribed", (notice) => {
    const state = notice && streams.get(notice.stream);
    if (state) {
      end(state, notice.reason || "access_removed");
    }
  });

  // A dropped message with nothing after it would otherwise stay missing until the next
  // event; a quiet check now and then, and when the page becomes visible, closes that gap.
  window.setInterval(() => {
    if (socket.connected && document.visibilityState === "visible") {
      checkAll();
    }
  }, SAFETY_CHECK_MS);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && socket.connected) {
      checkAll();
    }
  });
})();
