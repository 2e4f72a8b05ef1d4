// The page's room model, under node's own test runner (no browser, no DOM).
import assert from "node:assert/strict";
import { test } from "node:test";
import { RoomModel } from "../../../../app/server/web/static/room-model.js";

const member = (user_id, name, role, extra = {}) => ({
  user_id, name, role, joined_at: user_id, hand_raised_at: null, invited: false,
  mod_muted: false, self_muted: false, connected: true, ...extra,
});

const snapshot = (members, extra = {}) => ({
  room_id: "r1", title: "T", topic: "", invite_only: false, stage_capacity: 13, locked: false,
  hands_enabled: true, pinned_link: null, status: "live", host_id: 1, created_at: 0, seq: 3,
  members, ...extra,
});

test("events apply in order; old ones are ignored and a gap asks for a sync", () => {
  const m = new RoomModel(snapshot([member(1, "ayu", "host"), member(9, "me", "listener")]), 9);
  assert.equal(m.apply(3, { kind: "room_ended", reason: "host_ended" }), "old");
  assert.equal(m.apply(5, { kind: "room_ended", reason: "host_ended" }), "gap");
  assert.equal(m.apply(4, { kind: "room_updated", topic: "new", locked: true, hands_enabled: true,
    pinned_link: null, host_id: 1 }), "ok");
  assert.equal(m.room.topic, "new");
  assert.equal(m.seq, 4);
});

test("the stage is host, co-hosts, speakers, each in join order", () => {
  const m = new RoomModel(snapshot([
    member(5, "s2", "speaker", { joined_at: 7 }), member(4, "s1", "speaker", { joined_at: 2 }),
    member(3, "co", "cohost"), member(1, "ayu", "host", { joined_at: 9 }), member(9, "me", "listener"),
  ]), 9);
  assert.deepEqual(m.stage().map((x) => x.name), ["ayu", "co", "s1", "s2"]);
});

test("protocol 1: counts come from the members", () => {
  const m = new RoomModel(snapshot([
    member(1, "ayu", "host"), member(8, "x", "listener", { hand_raised_at: 1 }),
    member(9, "me", "listener"), member(7, "gone", "listener", { connected: false }),
  ]), 9);
  assert.deepEqual(m.audience(), { listeners: 2, hands: 1 });
  m.apply(4, { kind: "member_joined", member: member(10, "new", "listener") });
  assert.deepEqual(m.audience(), { listeners: 3, hands: 1 });
  assert.equal(m.nameOf(10), "new");
});

test("protocol 2: counts are the server's, and members who stop being shown are forgotten", () => {
  const m = new RoomModel(snapshot([member(1, "ayu", "host"), member(9, "me", "listener")],
    { audience: { listeners: 1500, hands: 0 } }), 9);
  assert.deepEqual(m.audience(), { listeners: 1500, hands: 0 });
  m.apply(4, { kind: "member_updated", cause: "hand_raised", member: member(8, "x", "listener", { hand_raised_at: 3 }) });
  assert.equal(m.nameOf(8), "x");
  m.apply(5, { kind: "member_updated", cause: "hand_lowered", member: member(8, "x", "listener") });
  assert.equal(m.nameOf(8), null);
  m.apply(6, { kind: "member_updated", cause: "hand_lowered", member: member(9, "me", "listener") });
  assert.equal(m.self.name, "me", "yourself is always kept");
  m.setAudience(1499, 0);
  assert.deepEqual(m.audience(), { listeners: 1499, hands: 0 });
});

test("a sync resets everything from the new snapshot", () => {
  const m = new RoomModel(snapshot([member(1, "ayu", "host"), member(9, "me", "listener")]), 9);
  m.reset(snapshot([member(9, "me", "speaker")], { seq: 40, title: "U" }));
  assert.equal(m.seq, 40);
  assert.equal(m.room.title, "U");
  assert.deepEqual(m.stage().map((x) => x.name), ["me"]);
});
