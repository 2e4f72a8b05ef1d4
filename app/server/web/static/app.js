// The web listener: sign in, join the room named by the address, listen, raise
// a hand, react. The session token lives in sessionStorage: this tab only,
// gone when it closes, never in the address; the strict CSP keeps foreign
// scripts out of the page that could read it.

import { Connection, RequestError, backoff } from "./connection.js";
import { chooseLanguage, language, setLanguage, t, translate } from "./i18n.js";
import { BroadcastPlayer } from "./broadcast.js";
import { Listener } from "./listen.js";
import { RoomModel, STAGE_ROLES } from "./room-model.js";
import * as view from "./view.js";

const { $ } = view;
const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
const ROOM_ID = meta("panggung-room");
const PROTOCOL = Number(meta("panggung-protocol"));
const INVITE = new URLSearchParams(location.search).get("invite");
const WS_URL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
const TOKEN_KEY = "panggung.session";
const LANGUAGE_KEY = "panggung.language";

const state = {
  conn: null,
  me: null, // {user_id, username}
  model: null,
  talking: new Set(),
  listener: null,
  broadcast: null, // the HLS player, while the server has no live link for us
  wantAudio: false,
  mediaAttempts: 0,
  reconnects: 0,
  stopped: false, // kicked, left or signed out: do not come back by ourselves
};

function errorText(err) {
  const code = err instanceof RequestError ? err.code : "other";
  const key = `err_${code}`;
  const text = t(key);
  return text === key ? t("err_other", { message: err.message }) : text;
}

// -- the connection ----------------------------------------------------------

async function connect() {
  view.status(t("connecting"));
  const conn = new Connection(WS_URL);
  conn.onpush = onPush;
  conn.onclose = () => onDrop(conn);
  await conn.open();
  state.conn = conn;
  await conn.request("hello", { protocol: PROTOCOL, client: "panggung-web" });
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    try {
      await signedIn(await conn.request("resume", { token }));
      return;
    } catch (err) {
      if (!(err instanceof RequestError) || err.code !== "invalid_token") throw err;
      sessionStorage.removeItem(TOKEN_KEY);
    }
  }
  showSignIn();
}

function onDrop(conn) {
  if (state.conn !== conn) return;
  state.conn = null;
  stopAudio();
  if (state.stopped) return;
  view.status(t("reconnecting"));
  scheduleReconnect();
}

function scheduleReconnect() {
  const wait = backoff(state.reconnects++);
  setTimeout(async () => {
    try {
      await connect();
      state.reconnects = 0;
    } catch {
      if (!state.conn) scheduleReconnect();
      else state.conn.close();
    }
  }, wait);
}

// -- signing in ----------------------------------------------------------------

function showSignIn() {
  view.status("");
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  $("who").textContent = "";
}

async function signIn(kind) {
  const username = $("username").value.trim();
  const password = $("password").value;
  $("sign-in-error").textContent = "";
  try {
    if (!state.conn) await connect();
    const auth = await state.conn.request(kind, { username, password });
    $("password").value = "";
    await signedIn(auth);
  } catch (err) {
    $("sign-in-error").textContent = errorText(err);
  }
}

async function signedIn(auth) {
  sessionStorage.setItem(TOKEN_KEY, auth.token);
  state.me = { user_id: auth.user_id, username: auth.username };
  state.stopped = false;
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("who").textContent = t("signed_in_as", { name: auth.username });
  await join();
}

async function signOut() {
  state.stopped = true;
  stopAudio();
  sessionStorage.removeItem(TOKEN_KEY);
  try {
    await state.conn?.request("logout");
  } catch {
    // the token is gone from this tab either way
  }
  state.model = null;
  state.me = null;
  $("actions").hidden = true;
  $("listen-box").hidden = true;
  $("stage-panel").hidden = true;
  view.renderAudience(previewCounts());
  showSignIn();
}

// -- the room ------------------------------------------------------------------

async function join() {
  for (;;) {
    try {
      const data = await state.conn.request("join_room", { room_id: ROOM_ID, invite_code: INVITE });
      state.model = new RoomModel(data.room, state.me.user_id);
      break;
    } catch (err) {
      if (err instanceof RequestError && err.code === "busy") {
        view.status(t("err_busy"));
        await sleep((err.retryAfter ?? 1) * 1000);
        continue;
      }
      view.status(errorText(err));
      return;
    }
  }
  view.status(t("joined"));
  $("actions").hidden = false;
  $("listen-box").hidden = false;
  $("leave").textContent = t("leave");
  render();
  // A click (signing in) lets the page play sound; a reload needs one first.
  if (state.wantAudio || navigator.userActivation?.hasBeenActive) startAudio();
  $("room-title").focus();
}

function render() {
  if (!state.model) return;
  view.renderRoom(state.model, state.talking);
  // Invited to the stage (or on it): the live room, not the delayed broadcast.
  const self = state.model.self;
  if (state.broadcast?.active && self && (self.invited || STAGE_ROLES.includes(self.role))) {
    state.broadcast.stop();
    startAudio();
  }
}

async function resync() {
  try {
    const data = await state.conn.request("sync");
    const moved = (data.room.media_epoch ?? 0) !== (state.model.room.media_epoch ?? 0);
    state.model.reset(data.room);
    render();
    // Another node took the room over: its media plane has none of our connection.
    if (moved && state.wantAudio && state.listener) startAudio();
  } catch (err) {
    view.status(errorText(err));
  }
}

function onPush(msg) {
  const model = state.model;
  if (!model || msg.room_id !== ROOM_ID) return;
  switch (msg.type) {
    case "event": {
      const result = model.apply(msg.seq, msg.event);
      if (result === "gap") resync();
      else if (result === "ok") {
        if (msg.event.kind === "reacted") {
          const name = model.nameOf(msg.event.user_id) ?? "?";
          view.showReaction(view.reactionText(msg.event.reaction, name));
        }
        render();
      }
      break;
    }
    case "speaking":
      state.talking = new Set(msg.levels.map(([userId]) => userId));
      view.renderStage(model, state.talking);
      break;
    case "audience":
      model.setAudience(msg.listeners, msg.hands);
      view.renderAudience(model.audience());
      break;
    case "reactions": {
      const named = new Map();
      for (const s of msg.senders) named.set(`${s.name}:${s.reaction}`, s);
      for (const s of named.values()) view.showReaction(view.reactionText(s.reaction, s.name));
      for (const [reaction, n] of Object.entries(msg.counts)) {
        const shown = msg.senders.filter((s) => s.reaction === reaction).length;
        if (n > shown) view.showReaction(view.reactionText(reaction, null, n));
      }
      break;
    }
    case "kicked":
      kicked(msg.reason);
      break;
    default:
      break;
  }
}

function kicked(reason) {
  stopAudio();
  state.model = null;
  state.talking = new Set();
  $("actions").hidden = true;
  $("listen-box").hidden = true;
  $("banner").textContent = t(`kicked_${reason}`);
  $("banner").hidden = false;
  if (reason !== "banned" && reason !== "ended") offerRejoin();
}

function offerRejoin() {
  $("join-again")?.remove();
  const again = document.createElement("button");
  again.type = "button";
  again.id = "join-again";
  again.textContent = t("join_again");
  again.addEventListener("click", async () => {
    again.remove();
    $("banner").hidden = true;
    state.wantAudio = true;
    await join();
  });
  $("banner").after(again);
  again.focus();
}

async function act(type, fields = {}) {
  try {
    await state.conn.request(type, fields);
  } catch (err) {
    view.status(errorText(err));
  }
}

async function leave() {
  stopAudio();
  await act("leave_room");
  // The `kicked` (reason "left") that follows shows the rest.
}

// -- audio ---------------------------------------------------------------------

function startAudio() {
  state.wantAudio = true;
  $("listen").hidden = true;
  $("mute").hidden = false;
  if (!state.listener) state.listener = new Listener($("audio"), offer, onMediaState);
  state.listener.start().catch((err) => {
    if (err instanceof RequestError && err.code === "broadcast_only") {
      startBroadcast();
      return;
    }
    $("media-status").textContent = errorText(err);
    if (err instanceof RequestError && err.code === "media_failed") return;
    retryAudio();
  });
}

// The live audience is full: the same room through HLS, a few seconds behind.
async function startBroadcast() {
  state.listener?.stop();
  $("media-status").textContent = t("media_connecting");
  try {
    const stream = await state.conn.request("listen_broadcast");
    if (!state.wantAudio) return;
    state.broadcast ??= new BroadcastPlayer($("audio"), onMediaState);
    await state.broadcast.start(stream.playlist);
  } catch (err) {
    $("media-status").textContent = errorText(err);
    if (!(err instanceof RequestError)) return; // this browser cannot play HLS
    retryAudio();
  }
}

async function offer(sdp) {
  const data = await state.conn.request("media_offer", { sdp });
  return data.sdp;
}

function onMediaState(media) {
  $("media-status").textContent = t(`media_${media}`);
  if (media === "connected") state.mediaAttempts = 0;
  if (media === "blocked") {
    $("listen").hidden = false;
  }
  if (media === "failed") retryAudio();
}

function retryAudio() {
  const wait = backoff(state.mediaAttempts++);
  setTimeout(() => {
    if (state.model && state.wantAudio && state.conn) startAudio();
  }, wait);
}

function stopAudio() {
  state.listener?.stop();
  state.broadcast?.stop();
  $("listen").hidden = false;
  $("mute").hidden = true;
  $("media-status").textContent = "";
}

function toggleMute() {
  const audio = $("audio");
  audio.muted = !audio.muted;
  $("mute").setAttribute("aria-pressed", String(audio.muted));
  $("mute").textContent = audio.muted ? t("unmute") : t("mute");
}

// -- the page ------------------------------------------------------------------

function applyLanguage(lang) {
  setLanguage(lang);
  document.documentElement.lang = language();
  $("language").value = language();
  translate(document);
  view.relabelReactions();
  if (state.me) $("who").textContent = t("signed_in_as", { name: state.me.username });
  if (state.model) render();
  else view.renderAudience(previewCounts());
}

// Before joining: the directory's counts, from the page the server rendered.
function previewCounts() {
  const { listeners, speakers } = $("audience").dataset;
  return { listeners: Number(listeners), speakers: Number(speakers), hands: 0 };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function wire() {
  $("sign-in-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn("login");
  });
  $("register").addEventListener("click", () => signIn("register"));
  $("sign-out").addEventListener("click", signOut);
  $("listen").addEventListener("click", () => {
    if (state.listener?.pc || state.broadcast?.active) $("audio").play().catch(() => {});
    else startAudio();
    $("listen").hidden = true;
  });
  $("mute").addEventListener("click", toggleMute);
  $("hand").addEventListener("click", () => {
    const raised = (state.model?.self?.hand_raised_at ?? null) !== null;
    act(raised ? "lower_hand" : "raise_hand");
  });
  $("leave-stage").addEventListener("click", () => act("leave_stage"));
  $("decline").addEventListener("click", () => act("decline_invite"));
  $("leave").addEventListener("click", leave);
  $("language").addEventListener("change", (ev) => {
    localStorage.setItem(LANGUAGE_KEY, ev.target.value);
    applyLanguage(ev.target.value);
  });
  view.reactionButtons((reaction) => act("react", { reaction }));
}

function main() {
  wire();
  applyLanguage(chooseLanguage(localStorage.getItem(LANGUAGE_KEY), navigator.languages));
  $("room-unknown").hidden = meta("panggung-known") === "true";
  $("room-host").hidden = !$("host-name").textContent;
  $("room-topic").hidden = !$("room-topic").textContent;
  // For the tests and the interop report: what the peer connection negotiated.
  window.panggung = {
    mediaStats: () => state.listener?.stats() ?? null,
    broadcastStats: () => state.broadcast?.stats() ?? null,
  };
  connect().catch(() => {
    view.status(t("err_closed"));
    scheduleReconnect();
  });
}

main();
