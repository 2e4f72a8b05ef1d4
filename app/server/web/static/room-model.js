// A room as this page knows it: a snapshot, then numbered events in order.
// Pure (no DOM, no network), so that node's test runner can check it.
//
// Protocol 2 (docs/protocol.md, "The audience: a summary"): the snapshot lists
// the stage, raised hands, open invitations and yourself; other listeners are
// only counted (`audience`). A member an event leaves with none of those is
// forgotten. Protocol 1 snapshots list everyone, and the counts come from them.

export const STAGE_ROLES = ["host", "cohost", "speaker"];
export const REACTIONS = ["clap", "laugh", "heart", "fire", "hundred", "raised_hands", "thinking", "wave"];

export class RoomModel {
  constructor(snapshot, selfId) {
    this.selfId = selfId;
    this.reset(snapshot);
  }

  reset(snapshot) {
    this.room = { ...snapshot };
    delete this.room.members;
    this.seq = snapshot.seq;
    this.summary = snapshot.audience !== undefined; // protocol 2
    this.counts = snapshot.audience ? { ...snapshot.audience } : null;
    this.members = new Map(snapshot.members.map((m) => [m.user_id, m]));
  }

  get self() {
    return this.members.get(this.selfId) ?? null;
  }

  get live() {
    return this.room.status === "live";
  }

  // "ok": applied; "old": already included (ignore); "gap": events were
  // missed, so the caller must `sync` and reset from the new snapshot.
  apply(seq, event) {
    if (seq <= this.seq) return "old";
    if (seq !== this.seq + 1) return "gap";
    this.seq = seq;
    switch (event.kind) {
      case "member_joined":
        this.members.set(event.member.user_id, event.member);
        break;
      case "member_left":
        this.members.delete(event.user_id);
        break;
      case "member_updated":
        this.members.set(event.member.user_id, event.member);
        if (this.summary && !this.isShown(event.member)) this.members.delete(event.member.user_id);
        break;
      case "room_updated":
        for (const key of ["topic", "locked", "hands_enabled", "pinned_link", "host_id"]) {
          if (key in event) this.room[key] = event[key];
        }
        break;
      case "recording_changed":
        this.room.recording = event.recording;
        break;
      case "room_ended":
        this.room.status = "ended";
        break;
      default:
        break; // `reacted` (protocol 1) is shown, not kept; unknown kinds are ignored
    }
    return "ok";
  }

  isShown(member) {
    return (
      member.user_id === this.selfId ||
      STAGE_ROLES.includes(member.role) ||
      (member.hand_raised_at ?? null) !== null ||
      member.invited === true
    );
  }

  setAudience(listeners, hands) {
    this.counts = { listeners, hands };
  }

  // Host first, then co-hosts, then speakers; each in the order they joined.
  stage() {
    const rank = (m) => STAGE_ROLES.indexOf(m.role);
    return [...this.members.values()]
      .filter((m) => STAGE_ROLES.includes(m.role))
      .sort((a, b) => rank(a) - rank(b) || a.joined_at - b.joined_at || a.user_id - b.user_id);
  }

  audience() {
    if (this.counts) return { ...this.counts };
    let listeners = 0;
    let hands = 0;
    for (const m of this.members.values()) {
      if (m.role === "listener" && m.connected) listeners++;
      if ((m.hand_raised_at ?? null) !== null) hands++;
    }
    return { listeners, hands };
  }

  nameOf(userId) {
    return this.members.get(userId)?.name ?? null;
  }
}
