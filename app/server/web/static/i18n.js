// The page's words in English and Bahasa Indonesia. `t(key, params)` fills
// {name}-style slots; elements with data-i18n get their text from here, with
// data-i18n-label their aria-label. Keys missing in a language fall back to
// English (tests/server/web/test_i18n.py checks that none is missing).

export const LANGUAGES = ["en", "id"];

export const STRINGS = {
  en: {
    skip: "Skip to the room",
    language: "Language",
    sign_out: "Sign out",
    signed_in_as: "Signed in as {name}",
    hosted_by: "Hosted by",
    room_unknown:
      "This room is invite-only, has ended, or does not exist. Sign in to join it with your invite link.",
    stage: "On stage",
    stage_empty: "Nobody is on stage yet.",
    speakers_one: "1 on stage",
    speakers_many: "{n} on stage",
    listeners_one: "1 listening",
    listeners_many: "{n} listening",
    hands_one: "1 hand raised",
    hands_many: "{n} hands raised",
    listen: "Start listening",
    mute: "Mute",
    unmute: "Unmute",
    raise_hand: "Raise hand",
    lower_hand: "Lower hand",
    leave_stage: "Leave the stage",
    decline: "Decline the invitation",
    react: "React",
    reactions: "Reactions",
    leave: "Leave the room",
    join_again: "Join again",
    sign_in_heading: "Sign in to listen",
    sign_in_why: "Use your Panggung account, or create one here.",
    username: "Username",
    password: "Password",
    sign_in: "Sign in",
    register: "Create account",
    noscript: "This page needs JavaScript to play the room.",
    role_host: "host",
    role_cohost: "co-host",
    role_speaker: "speaker",
    talking: "talking",
    muted: "muted",
    mod_muted: "muted by a moderator",
    away: "reconnecting",
    you: "you",
    recording: "● This room is being recorded",
    ended: "This room has ended.",
    left: "You left the room.",
    connecting: "Connecting…",
    reconnecting: "Connection lost; reconnecting…",
    joined: "You are in the room.",
    media_new: "Connecting audio…",
    media_connecting: "Connecting audio…",
    media_connected: "Listening",
    media_broadcast: "Broadcast — a few seconds behind",
    media_disconnected: "Audio interrupted; reconnecting…",
    media_failed: "Audio failed; retrying…",
    media_closed: "",
    media_blocked: "The browser held the sound back: press Start listening.",
    media_unavailable: "This server has no audio.",
    hand_note: "Your hand is raised: the moderators see it in their queue.",
    invited_note:
      "A moderator invited you to the stage. Speaking from the browser is not possible yet: open this room in the Panggung app to speak.",
    stage_note:
      "You are on the stage. Speaking from the browser is not possible yet: open this room in the Panggung app to speak.",
    kicked_removed: "A moderator removed you from the room.",
    kicked_banned: "You are banned from this room.",
    kicked_ended: "The room has ended.",
    kicked_timed_out: "You were away too long and lost your place.",
    kicked_replaced: "You opened this room somewhere else, so this page stopped.",
    kicked_left: "You left the room.",
    reaction_from: "{name}: {reaction}",
    reaction_count: "{reaction} ×{n}",
    r_clap: "Applause",
    r_laugh: "Laughter",
    r_heart: "Love",
    r_fire: "Fire",
    r_hundred: "One hundred",
    r_raised_hands: "Raised hands",
    r_thinking: "Thinking",
    r_wave: "Wave",
    err_bad_credentials: "Wrong username or password.",
    err_username_taken: "That username is taken.",
    err_bad_username: "A username is 3 to 32 letters, digits, '.', '_' or '-'.",
    err_weak_password: "The password is too short (at least 8 characters).",
    err_invalid_token: "Your session ended; sign in again.",
    err_rate_limited: "Too many attempts; wait a moment.",
    err_room_not_found: "This room is not live (it has ended, or the link is wrong).",
    err_room_ended: "This room has ended.",
    err_room_locked: "This room is locked: nobody new may join now.",
    err_invite_required: "This room is invite-only: open it with an invite link.",
    err_banned: "You are banned from this room.",
    err_hands_disabled: "The moderators turned raising hands off.",
    err_busy: "The server is busy; trying again…",
    err_media_failed: "The server could not start the audio.",
    err_closed: "Cannot reach the server.",
    err_other: "Something went wrong: {message}",
  },
  id: {
    skip: "Langsung ke ruang",
    language: "Bahasa",
    sign_out: "Keluar akun",
    signed_in_as: "Masuk sebagai {name}",
    hosted_by: "Dipandu oleh",
    room_unknown:
      "Ruang ini khusus undangan, sudah selesai, atau tidak ada. Masuk untuk bergabung lewat tautan undangan Anda.",
    stage: "Di panggung",
    stage_empty: "Belum ada yang di panggung.",
    speakers_one: "1 di panggung",
    speakers_many: "{n} di panggung",
    listeners_one: "1 mendengarkan",
    listeners_many: "{n} mendengarkan",
    hands_one: "1 tangan terangkat",
    hands_many: "{n} tangan terangkat",
    listen: "Mulai mendengarkan",
    mute: "Bisukan",
    unmute: "Bunyikan",
    raise_hand: "Angkat tangan",
    lower_hand: "Turunkan tangan",
    leave_stage: "Turun dari panggung",
    decline: "Tolak undangan",
    react: "Beri reaksi",
    reactions: "Reaksi",
    leave: "Tinggalkan ruang",
    join_again: "Bergabung lagi",
    sign_in_heading: "Masuk untuk mendengarkan",
    sign_in_why: "Gunakan akun Panggung Anda, atau buat akun di sini.",
    username: "Nama pengguna",
    password: "Kata sandi",
    sign_in: "Masuk",
    register: "Buat akun",
    noscript: "Halaman ini memerlukan JavaScript untuk memutar ruang.",
    role_host: "pemandu",
    role_cohost: "pemandu pendamping",
    role_speaker: "pembicara",
    talking: "sedang bicara",
    muted: "dibisukan",
    mod_muted: "dibisukan moderator",
    away: "menyambung ulang",
    you: "Anda",
    recording: "● Ruang ini sedang direkam",
    ended: "Ruang ini sudah selesai.",
    left: "Anda meninggalkan ruang.",
    connecting: "Menghubungkan…",
    reconnecting: "Koneksi terputus; menyambung ulang…",
    joined: "Anda berada di ruang.",
    media_new: "Menghubungkan audio…",
    media_connecting: "Menghubungkan audio…",
    media_connected: "Mendengarkan",
    media_broadcast: "Siaran — beberapa detik di belakang",
    media_disconnected: "Audio terputus; menyambung ulang…",
    media_failed: "Audio gagal; mencoba lagi…",
    media_closed: "",
    media_blocked: "Peramban menahan suara: tekan Mulai mendengarkan.",
    media_unavailable: "Server ini tidak punya audio.",
    hand_note: "Tangan Anda terangkat: moderator melihatnya di antrean.",
    invited_note:
      "Moderator mengundang Anda ke panggung. Berbicara dari peramban belum bisa: buka ruang ini di aplikasi Panggung untuk berbicara.",
    stage_note:
      "Anda di panggung. Berbicara dari peramban belum bisa: buka ruang ini di aplikasi Panggung untuk berbicara.",
    kicked_removed: "Moderator mengeluarkan Anda dari ruang.",
    kicked_banned: "Anda diblokir dari ruang ini.",
    kicked_ended: "Ruang sudah selesai.",
    kicked_timed_out: "Anda terlalu lama pergi dan kehilangan tempat.",
    kicked_replaced: "Anda membuka ruang ini di tempat lain, jadi halaman ini berhenti.",
    kicked_left: "Anda meninggalkan ruang.",
    reaction_from: "{name}: {reaction}",
    reaction_count: "{reaction} ×{n}",
    r_clap: "Tepuk tangan",
    r_laugh: "Tertawa",
    r_heart: "Suka",
    r_fire: "Keren",
    r_hundred: "Seratus",
    r_raised_hands: "Angkat kedua tangan",
    r_thinking: "Berpikir",
    r_wave: "Melambai",
    err_bad_credentials: "Nama pengguna atau kata sandi salah.",
    err_username_taken: "Nama pengguna itu sudah dipakai.",
    err_bad_username: "Nama pengguna terdiri dari 3 sampai 32 huruf, angka, '.', '_' atau '-'.",
    err_weak_password: "Kata sandi terlalu pendek (minimal 8 karakter).",
    err_invalid_token: "Sesi Anda berakhir; silakan masuk lagi.",
    err_rate_limited: "Terlalu banyak percobaan; tunggu sebentar.",
    err_room_not_found: "Ruang ini tidak sedang siaran (sudah selesai, atau tautannya salah).",
    err_room_ended: "Ruang ini sudah selesai.",
    err_room_locked: "Ruang ini dikunci: tidak ada yang baru boleh masuk sekarang.",
    err_invite_required: "Ruang ini khusus undangan: buka lewat tautan undangan.",
    err_banned: "Anda diblokir dari ruang ini.",
    err_hands_disabled: "Moderator menonaktifkan angkat tangan.",
    err_busy: "Server sedang sibuk; mencoba lagi…",
    err_media_failed: "Server tidak dapat memulai audio.",
    err_closed: "Server tidak dapat dihubungi.",
    err_other: "Terjadi kesalahan: {message}",
  },
};

export const EMOJI = {
  clap: "👏",
  laugh: "😂",
  heart: "❤️",
  fire: "🔥",
  hundred: "💯",
  raised_hands: "🙌",
  thinking: "🤔",
  wave: "👋",
};

let current = "en";

export function chooseLanguage(stored, preferred) {
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of preferred ?? []) {
    const base = String(tag).toLowerCase().split("-")[0];
    if (base === "id" || base === "in") return "id";
    if (base === "en") return "en";
  }
  return "en";
}

export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "en";
}

export function language() {
  return current;
}

export function t(key, params = {}) {
  const text = STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (slot, name) => (name in params ? String(params[name]) : slot));
}

export function plural(base, n) {
  return t(n === 1 ? `${base}_one` : `${base}_many`, { n });
}

// Text only: the translations are ours, but nothing here parses markup.
export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
}
