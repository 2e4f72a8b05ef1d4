// Drawing the room. Other people's words (titles, topics, names, links) only
// ever go into textContent or a checked href: never parsed as markup.

import { EMOJI, plural, t } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function initials(name) {
  const parts = name.split(/[._-]+/).filter(Boolean);
  const letters = parts.length > 1 ? parts[0][0] + parts[1][0] : name.slice(0, 2);
  return letters.toUpperCase();
}

// Only http(s) links become clickable; anything else stays text.
export function safeUrl(text) {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

export function renderRoom(model, talking) {
  const room = model.room;
  $("room-title").textContent = room.title;
  document.title = `${room.title} · Panggung`;
  $("room-topic").textContent = room.topic;
  $("room-topic").hidden = !room.topic;
  $("host-name").textContent = model.nameOf(room.host_id) ?? $("host-name").textContent;
  $("room-host").hidden = !$("host-name").textContent;
  $("room-unknown").hidden = true;
  renderPinned(room.pinned_link);
  renderBanner(model);
  renderStage(model, talking);
  renderAudience(model.audience());
  renderSelf(model);
}

function renderPinned(link) {
  let pinned = $("pinned");
  if (!link) {
    pinned?.remove();
    return;
  }
  if (!pinned) {
    pinned = el("p", "pinned");
    pinned.id = "pinned";
    $("room-topic").after(pinned);
  }
  pinned.replaceChildren();
  const href = safeUrl(link);
  if (href) {
    const a = el("a", "", link);
    a.href = href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    pinned.append("📌 ", a);
  } else {
    pinned.append(`📌 ${link}`);
  }
}

function renderBanner(model) {
  const banner = $("banner");
  const text = !model.live ? t("ended") : model.room.recording ? t("recording") : "";
  banner.textContent = text;
  banner.hidden = !text;
}

export function renderStage(model, talking) {
  const list = $("stage");
  const stage = model.stage();
  list.replaceChildren(
    ...stage.map((m) => {
      const item = el("li", "member");
      item.dataset.userId = String(m.user_id);
      const isTalking = talking.has(m.user_id);
      item.classList.toggle("talking", isTalking);
      item.append(el("span", "avatar", initials(m.name)));
      item.lastChild.setAttribute("aria-hidden", "true");
      const body = el("span", "body");
      body.append(el("span", "name", m.name));
      const marks = [];
      if (m.role !== "speaker") marks.push(t(`role_${m.role}`));
      if (m.user_id === model.selfId) marks.push(t("you"));
      if (isTalking) marks.push(t("talking"));
      if (m.mod_muted) marks.push(t("mod_muted"));
      else if (m.self_muted) marks.push(t("muted"));
      if (!m.connected) marks.push(t("away"));
      if (marks.length) body.append(el("span", "marks", marks.join(" · ")));
      item.append(body);
      return item;
    }),
  );
  $("stage-empty").hidden = stage.length > 0;
  $("stage-panel").hidden = false;
}

export function renderAudience(counts) {
  const parts = [plural("listeners", counts.listeners)];
  if (counts.speakers !== undefined) parts.unshift(plural("speakers", counts.speakers));
  if (counts.hands > 0) parts.push(plural("hands", counts.hands));
  $("audience").textContent = parts.join(" · ");
}

function renderSelf(model) {
  const me = model.self;
  const hand = $("hand");
  const raised = (me?.hand_raised_at ?? null) !== null;
  const listener = me?.role === "listener";
  hand.hidden = !listener || !model.live;
  hand.disabled = !model.room.hands_enabled && !raised;
  hand.setAttribute("aria-pressed", String(raised));
  hand.textContent = raised ? t("lower_hand") : t("raise_hand");
  $("leave-stage").hidden = listener || !me || me.role === "host";
  $("decline").hidden = !me?.invited;
  const note = $("self-note");
  const text = me?.invited ? t("invited_note") : !listener && me ? t("stage_note") : raised ? t("hand_note") : "";
  note.textContent = text;
  note.hidden = !text;
}

export function reactionButtons(onReact) {
  const group = $("reactions");
  for (const [reaction, emoji] of Object.entries(EMOJI)) {
    const button = el("button", "reaction", emoji);
    button.type = "button";
    button.dataset.reaction = reaction;
    button.dataset.i18nLabel = `r_${reaction}`;
    button.setAttribute("aria-label", t(`r_${reaction}`));
    button.title = t(`r_${reaction}`);
    button.addEventListener("click", () => onReact(reaction));
    group.append(button);
  }
}

export function relabelReactions() {
  for (const button of $("reactions").querySelectorAll("button")) {
    button.title = t(`r_${button.dataset.reaction}`);
  }
}

const FEED_MAX = 6;
const FEED_MS = 8000;

// A reaction someone sent: "ayu: 👏", or a burst's count "👏 ×12".
export function showReaction(text) {
  const feed = $("feed");
  const item = el("li", "reaction-item", text);
  feed.append(item);
  while (feed.children.length > FEED_MAX) feed.firstChild.remove();
  setTimeout(() => item.remove(), FEED_MS);
}

export function reactionText(reaction, name, count) {
  const emoji = `${EMOJI[reaction] ?? ""} ${t(`r_${reaction}`)}`.trim();
  if (name) return t("reaction_from", { name, reaction: emoji });
  return t("reaction_count", { reaction: emoji, n: count });
}

export function status(text) {
  $("status").textContent = text;
}
