<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="id" sourcelanguage="en">
<context>
    <name>AdminPanel</name>
    <message>
        <source>host</source>
        <translation>tuan rumah</translation>
    </message>
    <message>
        <source>co-host</source>
        <translation>wakil tuan rumah</translation>
    </message>
    <message>
        <source>speaker</source>
        <translation>pembicara</translation>
    </message>
    <message>
        <source>listener</source>
        <translation>pendengar</translation>
    </message>
    <message>
        <source>Moderation</source>
        <translation>Moderasi</translation>
    </message>
    <message>
        <source>Moderation panel</source>
        <translation>Panel moderasi</translation>
    </message>
    <message>
        <source>Hand queue</source>
        <translation>Antrean tangan</translation>
    </message>
    <message>
        <source>&amp;Approve hand</source>
        <translation>&amp;Setujui tangan</translation>
    </message>
    <message>
        <source>Approve hand</source>
        <translation>Setujui tangan</translation>
    </message>
    <message>
        <source>&amp;Deny hand</source>
        <translation>T&amp;olak tangan</translation>
    </message>
    <message>
        <source>Deny hand</source>
        <translation>Tolak tangan</translation>
    </message>
    <message>
        <source>Person to act on</source>
        <translation>Orang yang ditindak</translation>
    </message>
    <message>
        <source>Invite to stage</source>
        <translation>Undang ke panggung</translation>
    </message>
    <message>
        <source>Move to audience</source>
        <translation>Pindahkan ke pendengar</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>Bisukan</translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation>Bunyikan</translation>
    </message>
    <message>
        <source>Make co-host</source>
        <translation>Jadikan wakil tuan rumah</translation>
    </message>
    <message>
        <source>Remove co-host</source>
        <translation>Cabut wakil tuan rumah</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Keluarkan</translation>
    </message>
    <message>
        <source>Remove {name} from the room?</source>
        <translation>Keluarkan {name} dari ruang?</translation>
    </message>
    <message>
        <source>Ban</source>
        <translation>Blokir</translation>
    </message>
    <message>
        <source>Ban {name}? They cannot come back to this room.</source>
        <translation>Blokir {name}? Ia tidak bisa kembali ke ruang ini.</translation>
    </message>
    <message>
        <source>Mute all</source>
        <translation>Bisukan semua</translation>
    </message>
    <message>
        <source>M&amp;ute all</source>
        <translation>Bisukan semu&amp;a</translation>
    </message>
    <message>
        <source>&amp;Locked (no newcomers)</source>
        <translation>&amp;Terkunci (tanpa pendatang baru)</translation>
    </message>
    <message>
        <source>Lock room</source>
        <translation>Kunci ruang</translation>
    </message>
    <message>
        <source>&amp;Hands allowed</source>
        <translation>Angkat tangan &amp;diizinkan</translation>
    </message>
    <message>
        <source>Allow raised hands</source>
        <translation>Izinkan angkat tangan</translation>
    </message>
    <message>
        <source>One spea&amp;ker at a time</source>
        <translation>Satu pembi&amp;cara</translation>
    </message>
    <message>
        <source>Floor control: one speaker at a time</source>
        <translation>Kendali giliran bicara: satu pembicara sekaligus</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>tanpa batas</translation>
    </message>
    <message>
        <source> s</source>
        <translation> dtk</translation>
    </message>
    <message>
        <source>Longest turn while others wait (0: no limit)</source>
        <translation>Giliran terlama selagi yang lain menunggu (0: tanpa batas)</translation>
    </message>
    <message>
        <source>Longest turn while others wait, in seconds</source>
        <translation>Giliran terlama selagi yang lain menunggu, dalam detik</translation>
    </message>
    <message>
        <source>New topic</source>
        <translation>Topik baru</translation>
    </message>
    <message>
        <source>Set &amp;topic</source>
        <translation>&amp;Ganti topik</translation>
    </message>
    <message>
        <source>Set topic</source>
        <translation>Ganti topik</translation>
    </message>
    <message>
        <source>Link to pin</source>
        <translation>Tautan untuk disematkan</translation>
    </message>
    <message>
        <source>https://… (empty unpins)</source>
        <translation>https://… (kosong = lepas sematan)</translation>
    </message>
    <message>
        <source>Pin link</source>
        <translation>Sematkan tautan</translation>
    </message>
    <message>
        <source>Pi&amp;n link</source>
        <translation>Se&amp;matkan tautan</translation>
    </message>
    <message>
        <source>&amp;End room</source>
        <translation>Ak&amp;hiri ruang</translation>
    </message>
    <message>
        <source>End room</source>
        <translation>Akhiri ruang</translation>
    </message>
    <message>
        <source>Start re&amp;cording</source>
        <translation>Mulai r&amp;ekam</translation>
    </message>
    <message>
        <source>Start recording</source>
        <translation>Mulai rekam</translation>
    </message>
    <message>
        <source>Record what the audience hears, on the server</source>
        <translation>Rekam apa yang didengar pendengar, di server</translation>
    </message>
    <message>
        <source>&amp;Bans…</source>
        <translation>Da&amp;ftar blokir…</translation>
    </message>
    <message>
        <source>Ban list</source>
        <translation>Daftar blokir</translation>
    </message>
    <message>
        <source>Who is banned from this room, to unban them</source>
        <translation>Siapa yang diblokir dari ruang ini, untuk membuka blokirnya</translation>
    </message>
    <message>
        <source>Raised hands:</source>
        <translation>Tangan terangkat:</translation>
    </message>
    <message>
        <source>Person:</source>
        <translation>Orang:</translation>
    </message>
    <message>
        <source>Mute everyone on the stage?</source>
        <translation>Bisukan semua orang di panggung?</translation>
    </message>
    <message>
        <source>End the room for everyone?</source>
        <translation>Akhiri ruang untuk semua orang?</translation>
    </message>
    <message>
        <source>Stop re&amp;cording</source>
        <translation>Hentikan r&amp;ekaman</translation>
    </message>
    <message>
        <source>Stop recording</source>
        <translation>Hentikan rekaman</translation>
    </message>
    <message>
        <source>Record this room? Everyone in it will see that it is being recorded.</source>
        <translation>Rekam ruang ini? Semua orang di dalamnya akan melihat bahwa ruang sedang direkam.</translation>
    </message>
</context>
<context>
    <name>AudiencePanel</name>
    <message>
        <source>Audience counts</source>
        <translation>Jumlah pendengar</translation>
    </message>
    <message>
        <source>Search the audience</source>
        <translation>Cari di antara pendengar</translation>
    </message>
    <message>
        <source>Find a listener by name…</source>
        <translation>Cari pendengar menurut nama…</translation>
    </message>
    <message>
        <source>Everyone listening</source>
        <translation>Semua yang mendengarkan</translation>
    </message>
    <message>
        <source>{listeners} listening · ✋ {hands}</source>
        <translation>{listeners} mendengarkan · ✋ {hands}</translation>
    </message>
</context>
<context>
    <name>BanListDialog</name>
    <message>
        <source>Banned from this room</source>
        <translation>Diblokir dari ruang ini</translation>
    </message>
    <message>
        <source>Ban list</source>
        <translation>Daftar blokir</translation>
    </message>
    <message>
        <source>Banned users</source>
        <translation>Pengguna yang diblokir</translation>
    </message>
    <message>
        <source>&amp;Unban</source>
        <translation>&amp;Buka blokir</translation>
    </message>
    <message>
        <source>Unban the chosen user</source>
        <translation>Buka blokir pengguna yang dipilih</translation>
    </message>
    <message>
        <source>Nobody is banned.</source>
        <translation>Tidak ada yang diblokir.</translation>
    </message>
    <message>
        <source>{shown} of {total} banned users</source>
        <translation>{shown} dari {total} pengguna yang diblokir</translation>
    </message>
    <message>
        <source>{total} banned</source>
        <translation>{total} diblokir</translation>
    </message>
</context>
<context>
    <name>CreateRoomDialog</name>
    <message>
        <source>Create a room</source>
        <translation>Buat ruang</translation>
    </message>
    <message>
        <source>&amp;Invite only (not listed; join by link)</source>
        <translation>Hanya &amp;undangan (tidak terdaftar; masuk lewat tautan)</translation>
    </message>
    <message>
        <source>&amp;Create</source>
        <translation>&amp;Buat</translation>
    </message>
    <message>
        <source>Create room</source>
        <translation>Buat ruang</translation>
    </message>
</context>
<context>
    <name>DialogButtons</name>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Tutup</translation>
    </message>
</context>
<context>
    <name>DirectoryView</name>
    <message>
        <source>Title</source>
        <translation>Judul</translation>
    </message>
    <message>
        <source>Topic</source>
        <translation>Topik</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Tuan rumah</translation>
    </message>
    <message>
        <source>Speakers</source>
        <translation>Pembicara</translation>
    </message>
    <message>
        <source>Listeners</source>
        <translation>Pendengar</translation>
    </message>
    <message>
        <source>Sign &amp;out</source>
        <translation>&amp;Keluar akun</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>Keluar akun</translation>
    </message>
    <message>
        <source>Search rooms</source>
        <translation>Cari ruang</translation>
    </message>
    <message>
        <source>Find a room by title, topic or host…</source>
        <translation>Cari ruang menurut judul, topik, atau tuan rumah…</translation>
    </message>
    <message>
        <source>Live rooms</source>
        <translation>Ruang yang sedang siaran</translation>
    </message>
    <message>
        <source>&amp;Join</source>
        <translation>&amp;Gabung</translation>
    </message>
    <message>
        <source>Join selected room</source>
        <translation>Gabung ke ruang terpilih</translation>
    </message>
    <message>
        <source>&amp;Create room…</source>
        <translation>&amp;Buat ruang…</translation>
    </message>
    <message>
        <source>Create room</source>
        <translation>Buat ruang</translation>
    </message>
    <message>
        <source>Paste a panggung:// or http link</source>
        <translation>Tempel tautan panggung:// atau http</translation>
    </message>
    <message>
        <source>Room link</source>
        <translation>Tautan ruang</translation>
    </message>
    <message>
        <source>Join &amp;link</source>
        <translation>Gabung lewat &amp;tautan</translation>
    </message>
    <message>
        <source>Join link</source>
        <translation>Gabung lewat tautan</translation>
    </message>
    <message>
        <source>No live rooms yet. Create one!</source>
        <translation>Belum ada ruang yang siaran. Buat satu!</translation>
    </message>
    <message>
        <source>Signed in as &lt;b&gt;{user}&lt;/b&gt; on {server}</source>
        <translation>Masuk sebagai &lt;b&gt;{user}&lt;/b&gt; di {server}</translation>
    </message>
</context>
<context>
    <name>EndRoomDialog</name>
    <message>
        <source>End room</source>
        <translation>Akhiri ruang</translation>
    </message>
    <message>
        <source>This room is being recorded. End it for everyone, and keep its recording as:</source>
        <translation>Ruang ini sedang direkam. Akhiri untuk semua orang, dan simpan rekamannya sebagai:</translation>
    </message>
    <message>
        <source>A replay for those in the room and its moderators</source>
        <translation>Tayangan ulang untuk yang ada di ruang dan moderatornya</translation>
    </message>
    <message>
        <source>A public replay: anyone signed in may play it</source>
        <translation>Tayangan ulang umum: siapa pun yang masuk akun boleh memutarnya</translation>
    </message>
    <message>
        <source>A replay for moderators only</source>
        <translation>Tayangan ulang khusus moderator</translation>
    </message>
    <message>
        <source>Nothing: delete the recording</source>
        <translation>Tidak ada: hapus rekamannya</translation>
    </message>
    <message>
        <source>&amp;End room</source>
        <translation>Ak&amp;hiri ruang</translation>
    </message>
</context>
<context>
    <name>FirstRunDialog</name>
    <message>
        <source>Welcome to Panggung</source>
        <translation>Selamat datang di Panggung</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>Selamat datang</translation>
    </message>
    <message>
        <source>Where should your rooms live? You can change this later in Settings.</source>
        <translation>Di mana ruang Anda disimpan? Anda bisa mengubahnya nanti di Pengaturan.</translation>
    </message>
    <message>
        <source>&amp;Host on this computer (rooms are kept here)</source>
        <translation>&amp;Jadi tuan rumah di komputer ini (ruang disimpan di sini)</translation>
    </message>
    <message>
        <source>Host on this computer</source>
        <translation>Jadi tuan rumah di komputer ini</translation>
    </message>
    <message>
        <source>&amp;Connect to a server URL:</source>
        <translation>&amp;Sambung ke URL server:</translation>
    </message>
    <message>
        <source>Connect to a server URL</source>
        <translation>Sambung ke URL server</translation>
    </message>
    <message>
        <source>Server URL</source>
        <translation>URL server</translation>
    </message>
    <message>
        <source>Server URL problem</source>
        <translation>Masalah URL server</translation>
    </message>
    <message>
        <source>A server URL starts with ws:// or wss://, e.g. ws://host:8765/ws</source>
        <translation>URL server diawali ws:// atau wss://, mis. ws://host:8765/ws</translation>
    </message>
    <message>
        <source>That is not a server URL: it needs a host, e.g. ws://host:8765/ws</source>
        <translation>Itu bukan URL server: perlu nama host, mis. ws://host:8765/ws</translation>
    </message>
</context>
<context>
    <name>KeyCaptureButton</name>
    <message>
        <source>Push-to-talk key</source>
        <translation>Tombol tekan-untuk-bicara</translation>
    </message>
    <message>
        <source>Press a key…</source>
        <translation>Tekan sebuah tombol…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;Panggung</source>
        <translation>&amp;Panggung</translation>
    </message>
    <message>
        <source>My &amp;recordings…</source>
        <translation>&amp;Rekaman saya…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Pengaturan…</translation>
    </message>
</context>
<context>
    <name>NoticeBar</name>
    <message>
        <source>Message</source>
        <translation>Pesan</translation>
    </message>
    <message>
        <source>Dismiss message</source>
        <translation>Tutup pesan</translation>
    </message>
</context>
<context>
    <name>Notices</name>
    <message>
        <source>Wrong username or password.</source>
        <translation>Nama pengguna atau kata sandi salah.</translation>
    </message>
    <message>
        <source>That username is taken. Pick another, or log in instead.</source>
        <translation>Nama pengguna itu sudah dipakai. Pilih yang lain, atau masuk saja.</translation>
    </message>
    <message>
        <source>Usernames are 3 to 32 letters, digits, &apos;-&apos;, &apos;_&apos; or &apos;.&apos;.</source>
        <translation>Nama pengguna terdiri dari 3 sampai 32 huruf, angka, &apos;-&apos;, &apos;_&apos; atau &apos;.&apos;.</translation>
    </message>
    <message>
        <source>That password is too weak: use at least 8 characters.</source>
        <translation>Kata sandi itu terlalu lemah: gunakan minimal 8 karakter.</translation>
    </message>
    <message>
        <source>Your session has expired. Please sign in again.</source>
        <translation>Sesi Anda telah berakhir. Silakan masuk lagi.</translation>
    </message>
    <message>
        <source>That room does not exist or has ended.</source>
        <translation>Ruang itu tidak ada atau sudah berakhir.</translation>
    </message>
    <message>
        <source>That room has ended.</source>
        <translation>Ruang itu sudah berakhir.</translation>
    </message>
    <message>
        <source>The room is locked: newcomers cannot join right now.</source>
        <translation>Ruang ini dikunci: pendatang baru tidak bisa bergabung sekarang.</translation>
    </message>
    <message>
        <source>That room is invite-only: ask for an invite link.</source>
        <translation>Ruang itu khusus undangan: mintalah tautan undangan.</translation>
    </message>
    <message>
        <source>You are banned from that room.</source>
        <translation>Anda dilarang masuk ke ruang itu.</translation>
    </message>
    <message>
        <source>You are already in a room: leave it first.</source>
        <translation>Anda sudah berada di sebuah ruang: tinggalkan dulu.</translation>
    </message>
    <message>
        <source>You are not allowed to do that.</source>
        <translation>Anda tidak diizinkan melakukan itu.</translation>
    </message>
    <message>
        <source>That person is no longer in the room.</source>
        <translation>Orang itu sudah tidak ada di ruang.</translation>
    </message>
    <message>
        <source>The stage is full.</source>
        <translation>Panggung sudah penuh.</translation>
    </message>
    <message>
        <source>Raising hands is turned off in this room.</source>
        <translation>Angkat tangan dimatikan di ruang ini.</translation>
    </message>
    <message>
        <source>There is no invitation to answer.</source>
        <translation>Tidak ada undangan untuk dijawab.</translation>
    </message>
    <message>
        <source>Slow down: too many requests. Try again in a moment.</source>
        <translation>Pelan-pelan: terlalu banyak permintaan. Coba lagi sebentar lagi.</translation>
    </message>
    <message>
        <source>The audio connection could not be set up.</source>
        <translation>Sambungan audio tidak dapat dibuat.</translation>
    </message>
    <message>
        <source>Per-speaker volume is in use by as many listeners as this room allows: you hear everyone at 100 % for now.</source>
        <translation>Volume per pembicara sudah dipakai oleh sebanyak mungkin pendengar yang diizinkan ruangan ini: untuk sementara Anda mendengar semua orang pada 100 %.</translation>
    </message>
    <message>
        <source>The server is letting people in as fast as it can. Trying again shortly.</source>
        <translation>Server sedang memasukkan orang secepat mungkin. Mencoba lagi sebentar lagi.</translation>
    </message>
    <message>
        <source>This app and the server speak different versions of the protocol: update Panggung (or ask the server&apos;s operator to). The server said: {detail}</source>
        <translation>Aplikasi ini dan server memakai versi protokol yang berbeda: perbarui Panggung (atau minta pengelola server melakukannya). Kata server: {detail}</translation>
    </message>
    <message>
        <source>That scheduled room does not exist, or is not shown to you.</source>
        <translation>Ruang terjadwal itu tidak ada, atau tidak ditampilkan untuk Anda.</translation>
    </message>
    <message>
        <source>Pick a start time from now to a year ahead.</source>
        <translation>Pilih waktu mulai dari sekarang hingga setahun ke depan.</translation>
    </message>
    <message>
        <source>Nobody by one of those names has an account on this server.</source>
        <translation>Salah satu nama itu tidak punya akun di server ini.</translation>
    </message>
    <message>
        <source>That cannot be done now: look again, things changed.</source>
        <translation>Itu tidak bisa dilakukan sekarang: lihat lagi, ada yang berubah.</translation>
    </message>
    <message>
        <source>The server refused: {detail}</source>
        <translation>Server menolak: {detail}</translation>
    </message>
    <message>
        <source>The connection to {server} was lost.</source>
        <translation>Sambungan ke {server} terputus.</translation>
    </message>
    <message>
        <source>{server} did not answer in time.</source>
        <translation>{server} tidak menjawab tepat waktu.</translation>
    </message>
    <message>
        <source>Cannot reach {server}. Check the address and that the server is running.</source>
        <translation>Tidak dapat menghubungi {server}. Periksa alamatnya dan pastikan server berjalan.</translation>
    </message>
    <message>
        <source>Something went wrong: {detail}</source>
        <translation>Terjadi kesalahan: {detail}</translation>
    </message>
    <message>
        <source>That is not a room link: {detail}.</source>
        <translation>Itu bukan tautan ruang: {detail}.</translation>
    </message>
    <message>
        <source>That link is for the server {link_server}; this app is connected to {server}.</source>
        <translation>Tautan itu untuk server {link_server}; aplikasi ini tersambung ke {server}.</translation>
    </message>
    <message>
        <source>Audio could not start in {room}: {detail}</source>
        <translation>Audio tidak dapat dimulai di {room}: {detail}</translation>
    </message>
    <message>
        <source>A moderator has muted you.</source>
        <translation>Moderator telah membisukan Anda.</translation>
    </message>
    <message>
        <source>Your microphone is muted: unmute it to talk.</source>
        <translation>Mikrofon Anda dibisukan: nyalakan untuk bicara.</translation>
    </message>
    <message>
        <source>Only the stage talks. Raise your hand to ask for the stage.</source>
        <translation>Hanya panggung yang bicara. Angkat tangan untuk meminta naik ke panggung.</translation>
    </message>
    <message>
        <source>{who} invited you to the stage in {room}.</source>
        <translation>{who} mengundang Anda ke panggung di {room}.</translation>
    </message>
    <message>
        <source>{who} approved your hand: you are on the stage in {room}.</source>
        <translation>{who} menyetujui tangan Anda: Anda di panggung di {room}.</translation>
    </message>
    <message>
        <source>{who} declined your raised hand in {room}.</source>
        <translation>{who} menolak tangan Anda yang terangkat di {room}.</translation>
    </message>
    <message>
        <source>{who} moved you to the audience in {room}.</source>
        <translation>{who} memindahkan Anda ke pendengar di {room}.</translation>
    </message>
    <message>
        <source>{who} muted you in {room}.</source>
        <translation>{who} membisukan Anda di {room}.</translation>
    </message>
    <message>
        <source>{who} unmuted you in {room}.</source>
        <translation>{who} menyalakan suara Anda di {room}.</translation>
    </message>
    <message>
        <source>{who} made you a co-host of {room}.</source>
        <translation>{who} menjadikan Anda co-host {room}.</translation>
    </message>
    <message>
        <source>You are now the host of {room}.</source>
        <translation>Sekarang Anda host {room}.</translation>
    </message>
    <message>
        <source>{who} raised a hand in {room}.</source>
        <translation>{who} mengangkat tangan di {room}.</translation>
    </message>
    <message>
        <source>{room} has ended.</source>
        <translation>{room} sudah berakhir.</translation>
    </message>
    <message>
        <source>{room} by {host} is due to start now ({when}).</source>
        <translation>{room} oleh {host} dijadwalkan mulai sekarang ({when}).</translation>
    </message>
    <message>
        <source>{host} is live: {room}. Join it from the directory.</source>
        <translation>{host} sudah siaran: {room}. Bergabunglah dari direktori.</translation>
    </message>
    <message>
        <source>{room} by {host} changed: now at {when}.</source>
        <translation>{room} oleh {host} berubah: sekarang pada {when}.</translation>
    </message>
    <message>
        <source>{host} cancelled {room} ({when}).</source>
        <translation>{host} membatalkan {room} ({when}).</translation>
    </message>
    <message>
        <source>{room} by {host} did not start.</source>
        <translation>{room} oleh {host} tidak jadi dimulai.</translation>
    </message>
    <message>
        <source>A moderator</source>
        <translation>Seorang moderator</translation>
    </message>
    <message>
        <source>A moderator removed you from {room}.</source>
        <translation>Moderator mengeluarkan Anda dari {room}.</translation>
    </message>
    <message>
        <source>A moderator banned you from {room}.</source>
        <translation>Moderator melarang Anda masuk ke {room}.</translation>
    </message>
    <message>
        <source>You joined {room} from somewhere else; this window left it.</source>
        <translation>Anda bergabung ke {room} dari tempat lain; jendela ini keluar darinya.</translation>
    </message>
    <message>
        <source>You were away too long and lost your place in {room}.</source>
        <translation>Anda pergi terlalu lama dan kehilangan tempat di {room}.</translation>
    </message>
    <message>
        <source>You are no longer in {room} ({detail}).</source>
        <translation>Anda tidak lagi berada di {room} ({detail}).</translation>
    </message>
</context>
<context>
    <name>PeoplePanel</name>
    <message>
        <source>Host</source>
        <translation>Tuan rumah</translation>
    </message>
    <message>
        <source>Co-host</source>
        <translation>Wakil tuan rumah</translation>
    </message>
    <message>
        <source> (you)</source>
        <translation> (Anda)</translation>
    </message>
    <message>
        <source>talking</source>
        <translation>berbicara</translation>
    </message>
    <message>
        <source>muted by a moderator</source>
        <translation>dibisukan moderator</translation>
    </message>
    <message>
        <source>muted</source>
        <translation>bisu</translation>
    </message>
    <message>
        <source>✋ hand raised #{place}</source>
        <translation>✋ angkat tangan #{place}</translation>
    </message>
    <message>
        <source>✋ hand raised</source>
        <translation>✋ angkat tangan</translation>
    </message>
    <message>
        <source>invited to the stage</source>
        <translation>diundang ke panggung</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>menyambung ulang</translation>
    </message>
    <message>
        <source>talks by voice activity</source>
        <translation>bicara lewat deteksi suara</translation>
    </message>
</context>
<context>
    <name>PttButton</name>
    <message>
        <source>Hold to talk  ({key})</source>
        <translation>Tahan untuk bicara  ({key})</translation>
    </message>
    <message>
        <source>Click to talk  ({key})</source>
        <translation>Klik untuk bicara  ({key})</translation>
    </message>
    <message>
        <source>● LIVE — you are on air</source>
        <translation>● SIARAN — Anda sedang mengudara</translation>
    </message>
    <message>
        <source>Microphone muted — unmute to talk</source>
        <translation>Mikrofon dibisukan — nyalakan untuk bicara</translation>
    </message>
    <message>
        <source>A moderator muted you</source>
        <translation>Moderator membisukan Anda</translation>
    </message>
    <message>
        <source>⏳ Waiting for the floor — keep holding</source>
        <translation>⏳ Menunggu giliran bicara — tetap tahan</translation>
    </message>
    <message>
        <source>Push to talk</source>
        <translation>Tekan untuk bicara</translation>
    </message>
    <message>
        <source>Space</source>
        <translation>Spasi</translation>
    </message>
    <message>
        <source>Someone else has the floor; you wait in the queue, first pressed first served.</source>
        <translation>Orang lain sedang mendapat giliran; Anda menunggu dalam antrean, yang pertama menekan dilayani dulu.</translation>
    </message>
    <message>
        <source>Hold to talk; the {key} key does the same.</source>
        <translation>Tahan untuk bicara; tombol {key} juga bisa.</translation>
    </message>
    <message>
        <source>Live: you are on air.</source>
        <translation>Siaran: suara Anda sedang mengudara.</translation>
    </message>
</context>
<context>
    <name>RecordingsDialog</name>
    <message>
        <source>Room</source>
        <translation>Ruang</translation>
    </message>
    <message>
        <source>Recorded</source>
        <translation>Direkam</translation>
    </message>
    <message>
        <source>Duration</source>
        <translation>Durasi</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Ukuran</translation>
    </message>
    <message>
        <source>Sign in to see your recordings.</source>
        <translation>Masuk untuk melihat rekaman Anda.</translation>
    </message>
    <message>
        <source>Your session has expired. Please sign in again.</source>
        <translation>Sesi Anda telah berakhir. Silakan masuk lagi.</translation>
    </message>
    <message>
        <source>That recording is not there any more. Refresh the list.</source>
        <translation>Rekaman itu sudah tidak ada. Muat ulang daftarnya.</translation>
    </message>
    <message>
        <source>That recording is still running: stop it first, then save it.</source>
        <translation>Rekaman itu masih berjalan: hentikan dulu, lalu simpan.</translation>
    </message>
    <message>
        <source>The recording&apos;s file is gone from the server.</source>
        <translation>Berkas rekaman sudah tidak ada di server.</translation>
    </message>
    <message>
        <source>The server refused: {detail}</source>
        <translation>Server menolak: {detail}</translation>
    </message>
    <message>
        <source>Cannot reach the server. Check the connection and try again.</source>
        <translation>Server tidak dapat dihubungi. Periksa koneksi, lalu coba lagi.</translation>
    </message>
    <message>
        <source>Cannot save the file: {detail}</source>
        <translation>Berkas tidak dapat disimpan: {detail}</translation>
    </message>
    <message>
        <source>My recordings</source>
        <translation>Rekaman saya</translation>
    </message>
    <message>
        <source>Recordings you started, and those of rooms you hosted.</source>
        <translation>Rekaman yang Anda mulai, dan rekaman ruang tempat Anda menjadi tuan rumah.</translation>
    </message>
    <message>
        <source>Recordings</source>
        <translation>Rekaman</translation>
    </message>
    <message>
        <source>Choose a recording with the arrow keys; Enter saves it.</source>
        <translation>Pilih rekaman dengan tombol panah; Enter menyimpannya.</translation>
    </message>
    <message>
        <source>No recordings yet. Moderators start one from the room&apos;s moderation panel.</source>
        <translation>Belum ada rekaman. Moderator memulainya dari panel moderasi ruang.</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>&amp;Save as…</source>
        <translation>&amp;Simpan sebagai…</translation>
    </message>
    <message>
        <source>Save the selected recording as a file</source>
        <translation>Simpan rekaman yang dipilih sebagai berkas</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>&amp;Muat ulang</translation>
    </message>
    <message>
        <source>Refresh the list of recordings</source>
        <translation>Muat ulang daftar rekaman</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Tutup</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Memuat…</translation>
    </message>
    <message>
        <source>Save recording</source>
        <translation>Simpan rekaman</translation>
    </message>
    <message>
        <source>Ogg/Opus audio (*.ogg)</source>
        <translation>Audio Ogg/Opus (*.ogg)</translation>
    </message>
    <message>
        <source>Saving… {percent} %</source>
        <translation>Menyimpan… {percent} %</translation>
    </message>
    <message>
        <source>Saved {file} ({size}).</source>
        <translation>{file} tersimpan ({size}).</translation>
    </message>
    <message>
        <source>recording now</source>
        <translation>sedang merekam</translation>
    </message>
</context>
<context>
    <name>ReplayPlayerWindow</name>
    <message>
        <source>Replay: {title}</source>
        <translation>Tayangan ulang: {title}</translation>
    </message>
    <message>
        <source>Position in the replay</source>
        <translation>Posisi dalam tayangan ulang</translation>
    </message>
    <message>
        <source>Play or pause</source>
        <translation>Putar atau jeda</translation>
    </message>
    <message>
        <source>Cannot play the replay: {error}</source>
        <translation>Tayangan ulang tidak bisa diputar: {error}</translation>
    </message>
    <message>
        <source>&amp;Play</source>
        <translation>&amp;Putar</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>&amp;Jeda</translation>
    </message>
</context>
<context>
    <name>ReplaysPanel</name>
    <message>
        <source>Title</source>
        <translation>Judul</translation>
    </message>
    <message>
        <source>Recorded</source>
        <translation>Direkam</translation>
    </message>
    <message>
        <source>Length</source>
        <translation>Durasi</translation>
    </message>
    <message>
        <source>Who may play it</source>
        <translation>Siapa boleh memutar</translation>
    </message>
    <message>
        <source>The room&apos;s audience</source>
        <translation>Pendengar ruang</translation>
    </message>
    <message>
        <source>Moderators only</source>
        <translation>Khusus moderator</translation>
    </message>
    <message>
        <source>&lt;b&gt;Replays&lt;/b&gt;</source>
        <translation>&lt;b&gt;Tayangan ulang&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Replays</source>
        <translation>Tayangan ulang</translation>
    </message>
    <message>
        <source>No replays yet. A host can keep a recorded room&apos;s.</source>
        <translation>Belum ada tayangan ulang. Tuan rumah bisa menyimpan rekaman ruangnya.</translation>
    </message>
    <message>
        <source>Pla&amp;y replay</source>
        <translation>Put&amp;ar ulang</translation>
    </message>
    <message>
        <source>Play the selected replay</source>
        <translation>Putar tayangan ulang yang dipilih</translation>
    </message>
    <message>
        <source>Make p&amp;ublic</source>
        <translation>Jadikan &amp;umum</translation>
    </message>
    <message>
        <source>Change who may play the replay</source>
        <translation>Ubah siapa yang boleh memutar tayangan ulang</translation>
    </message>
    <message>
        <source>Dele&amp;te replay</source>
        <translation>&amp;Hapus tayangan ulang</translation>
    </message>
    <message>
        <source>Delete the selected replay</source>
        <translation>Hapus tayangan ulang yang dipilih</translation>
    </message>
    <message>
        <source>Make pri&amp;vate</source>
        <translation>Jadikan khusus &amp;moderator</translation>
    </message>
    <message>
        <source>Delete the replay of “{title}” for good?</source>
        <translation>Hapus tayangan ulang “{title}” untuk selamanya?</translation>
    </message>
</context>
<context>
    <name>RoomFormDialog</name>
    <message>
        <source>Room title</source>
        <translation>Judul ruang</translation>
    </message>
    <message>
        <source>Room topic</source>
        <translation>Topik ruang</translation>
    </message>
    <message>
        <source>Invite only</source>
        <translation>Hanya undangan</translation>
    </message>
    <message>
        <source>&amp;Title</source>
        <translation>&amp;Judul</translation>
    </message>
    <message>
        <source>T&amp;opic</source>
        <translation>T&amp;opik</translation>
    </message>
    <message>
        <source>Give the room a title.</source>
        <translation>Beri ruang ini judul.</translation>
    </message>
</context>
<context>
    <name>RoomView</name>
    <message>
        <source>Clap</source>
        <translation>Tepuk tangan</translation>
    </message>
    <message>
        <source>Laugh</source>
        <translation>Tertawa</translation>
    </message>
    <message>
        <source>Heart</source>
        <translation>Hati</translation>
    </message>
    <message>
        <source>Fire</source>
        <translation>Api</translation>
    </message>
    <message>
        <source>Hundred</source>
        <translation>Seratus</translation>
    </message>
    <message>
        <source>Raised hands</source>
        <translation>Angkat kedua tangan</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>Berpikir</translation>
    </message>
    <message>
        <source>Wave</source>
        <translation>Melambai</translation>
    </message>
    <message>
        <source>Room title</source>
        <translation>Judul ruang</translation>
    </message>
    <message>
        <source>Topic</source>
        <translation>Topik</translation>
    </message>
    <message>
        <source>Pinned link</source>
        <translation>Tautan yang disematkan</translation>
    </message>
    <message>
        <source>Invite only</source>
        <translation>Hanya undangan</translation>
    </message>
    <message>
        <source>Locked</source>
        <translation>Terkunci</translation>
    </message>
    <message>
        <source>● Recording</source>
        <translation>● Merekam</translation>
    </message>
    <message>
        <source>Broadcast — a few seconds behind</source>
        <translation>Siaran — beberapa detik di belakang</translation>
    </message>
    <message>
        <source>Audio interrupted — reconnecting…</source>
        <translation>Audio terputus — menyambung ulang…</translation>
    </message>
    <message>
        <source>The room&apos;s audio stopped reaching this server; it comes back by itself.</source>
        <translation>Audio ruang berhenti sampai ke server ini; nanti kembali dengan sendirinya.</translation>
    </message>
    <message>
        <source>Room counts</source>
        <translation>Jumlah di ruang</translation>
    </message>
    <message>
        <source>Room status</source>
        <translation>Status ruang</translation>
    </message>
    <message>
        <source>Copy &amp;invite link</source>
        <translation>Sal&amp;in tautan undangan</translation>
    </message>
    <message>
        <source>Copy invite link</source>
        <translation>Salin tautan undangan</translation>
    </message>
    <message>
        <source>Make a new invite link and copy it to the clipboard</source>
        <translation>Buat tautan undangan baru dan salin ke papan klip</translation>
    </message>
    <message>
        <source>Copy &amp;web link</source>
        <translation>Salin tautan &amp;web</translation>
    </message>
    <message>
        <source>Copy web link</source>
        <translation>Salin tautan web</translation>
    </message>
    <message>
        <source>Make a new invite link for browsers and copy it to the clipboard</source>
        <translation>Buat tautan undangan baru untuk peramban dan salin ke papan klip</translation>
    </message>
    <message>
        <source>Invite link</source>
        <translation>Tautan undangan</translation>
    </message>
    <message>
        <source>Stage</source>
        <translation>Panggung</translation>
    </message>
    <message>
        <source>Audience</source>
        <translation>Pendengar</translation>
    </message>
    <message>
        <source>Raise &amp;hand</source>
        <translation>&amp;Angkat tangan</translation>
    </message>
    <message>
        <source>Raise hand</source>
        <translation>Angkat tangan</translation>
    </message>
    <message>
        <source>&amp;Accept invitation</source>
        <translation>&amp;Terima undangan</translation>
    </message>
    <message>
        <source>Accept invitation to the stage</source>
        <translation>Terima undangan ke panggung</translation>
    </message>
    <message>
        <source>Dec&amp;line invitation</source>
        <translation>T&amp;olak undangan</translation>
    </message>
    <message>
        <source>Decline invitation</source>
        <translation>Tolak undangan</translation>
    </message>
    <message>
        <source>Leave &amp;stage</source>
        <translation>T&amp;urun dari panggung</translation>
    </message>
    <message>
        <source>Leave stage</source>
        <translation>Turun dari panggung</translation>
    </message>
    <message>
        <source>&amp;Mute microphone</source>
        <translation>&amp;Bisukan mikrofon</translation>
    </message>
    <message>
        <source>Mute microphone</source>
        <translation>Bisukan mikrofon</translation>
    </message>
    <message>
        <source>Push-to-talk latch mode</source>
        <translation>Mode kunci tekan-untuk-bicara</translation>
    </message>
    <message>
        <source>Latch m&amp;ode</source>
        <translation>Mode &amp;kunci</translation>
    </message>
    <message>
        <source>Leave &amp;quietly</source>
        <translation>Ke&amp;luar diam-diam</translation>
    </message>
    <message>
        <source>Leave room</source>
        <translation>Keluar dari ruang</translation>
    </message>
    <message>
        <source>&amp;React:</source>
        <translation>&amp;Reaksi:</translation>
    </message>
    <message>
        <source>React: {name}</source>
        <translation>Reaksi: {name}</translation>
    </message>
    <message>
        <source>Reactions</source>
        <translation>Reaksi</translation>
    </message>
    <message>
        <source>Web link copied to the clipboard: {link}</source>
        <translation>Tautan web disalin ke papan klip: {link}</translation>
    </message>
    <message>
        <source>Invite link copied to the clipboard: {link}</source>
        <translation>Tautan undangan disalin ke papan klip: {link}</translation>
    </message>
    <message>
        <source>Open the pinned link in the browser</source>
        <translation>Buka tautan yang disematkan di peramban</translation>
    </message>
    <message>
        <source>⚠ Connection lost — reconnecting…</source>
        <translation>⚠ Koneksi terputus — menyambung ulang…</translation>
    </message>
    <message>
        <source>● This room is being recorded.</source>
        <translation>● Ruang ini sedang direkam.</translation>
    </message>
    <message>
        <source>⚠ Recording stopped: {reason}</source>
        <translation>⚠ Perekaman berhenti: {reason}</translation>
    </message>
    <message>
        <source>🔒 The room is locked: no newcomers.</source>
        <translation>🔒 Ruang dikunci: tidak menerima pendatang baru.</translation>
    </message>
    <message>
        <source>Raising hands is turned off.</source>
        <translation>Angkat tangan dimatikan.</translation>
    </message>
    <message>
        <source>Lower &amp;hand</source>
        <translation>&amp;Turunkan tangan</translation>
    </message>
    <message>
        <source>Lower hand</source>
        <translation>Turunkan tangan</translation>
    </message>
    <message>
        <source>Un&amp;mute microphone</source>
        <translation>&amp;Nyalakan mikrofon</translation>
    </message>
    <message>
        <source>Unmute microphone</source>
        <translation>Nyalakan mikrofon</translation>
    </message>
    <message>
        <source>🎙 One speaker at a time: the floor is free.</source>
        <translation>🎙 Satu pembicara sekaligus: giliran bicara kosong.</translation>
    </message>
    <message>
        <source>🎙 One speaker at a time: {name} has the floor.</source>
        <translation>🎙 Satu pembicara sekaligus: {name} sedang mendapat giliran.</translation>
    </message>
    <message>
        <source>{count} waiting.</source>
        <translation>{count} menunggu.</translation>
    </message>
    <message>
        <source>{stage} on stage · {listeners} listening · ✋ {hands}</source>
        <translation>{stage} di panggung · {listeners} mendengarkan · ✋ {hands}</translation>
    </message>
</context>
<context>
    <name>ScheduleDialog</name>
    <message>
        <source>Schedule a room</source>
        <translation>Jadwalkan ruang</translation>
    </message>
    <message>
        <source>Start time</source>
        <translation>Waktu mulai</translation>
    </message>
    <message>
        <source>Times are in your time zone ({zone}).</source>
        <translation>Waktu dalam zona waktu Anda ({zone}).</translation>
    </message>
    <message>
        <source>&amp;Invite only (shown only to those invited ahead)</source>
        <translation>&amp;Hanya undangan (hanya tampil bagi yang diundang lebih dulu)</translation>
    </message>
    <message>
        <source>Co-hosts invited ahead</source>
        <translation>Wakil tuan rumah yang diundang lebih dulu</translation>
    </message>
    <message>
        <source>usernames, separated by commas</source>
        <translation>nama pengguna, dipisahkan koma</translation>
    </message>
    <message>
        <source>Speakers invited ahead</source>
        <translation>Pembicara yang diundang lebih dulu</translation>
    </message>
    <message>
        <source>&amp;Schedule</source>
        <translation>&amp;Jadwalkan</translation>
    </message>
    <message>
        <source>Schedule room</source>
        <translation>Jadwalkan ruang</translation>
    </message>
    <message>
        <source>&amp;Starts</source>
        <translation>&amp;Mulai</translation>
    </message>
    <message>
        <source>&amp;Co-hosts</source>
        <translation>&amp;Wakil tuan rumah</translation>
    </message>
    <message>
        <source>S&amp;peakers</source>
        <translation>&amp;Pembicara</translation>
    </message>
    <message>
        <source>Pick a start time that has not passed.</source>
        <translation>Pilih waktu mulai yang belum lewat.</translation>
    </message>
    <message>
        <source>Invite at most {count} people ahead.</source>
        <translation>Undang paling banyak {count} orang lebih dulu.</translation>
    </message>
</context>
<context>
    <name>SessionController</name>
    <message>
        <source>Something went wrong: {error}</source>
        <translation>Terjadi kesalahan: {error}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Panggung settings</source>
        <translation>Pengaturan Panggung</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Pengaturan</translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation>Mikrofon</translation>
    </message>
    <message>
        <source>Speakers</source>
        <translation>Pengeras suara</translation>
    </message>
    <message>
        <source>Microphone level</source>
        <translation>Level mikrofon</translation>
    </message>
    <message>
        <source>&amp;Hear yourself (mic test)</source>
        <translation>&amp;Dengarkan suara sendiri (uji mikrofon)</translation>
    </message>
    <message>
        <source>Hear yourself</source>
        <translation>Dengarkan suara sendiri</translation>
    </message>
    <message>
        <source>Output volume</source>
        <translation>Volume keluaran</translation>
    </message>
    <message>
        <source>&amp;Play a short sound when push-to-talk starts and stops</source>
        <translation>Putar &amp;bunyi singkat saat tekan-untuk-bicara mulai dan berhenti</translation>
    </message>
    <message>
        <source>Cue sounds</source>
        <translation>Bunyi penanda</translation>
    </message>
    <message>
        <source>&amp;Echo cancellation (no headphones needed)</source>
        <translation>Peredam &amp;gema (tanpa perlu headphone)</translation>
    </message>
    <message>
        <source>Echo cancellation</source>
        <translation>Peredam gema</translation>
    </message>
    <message>
        <source>Noise s&amp;uppression</source>
        <translation>Peredam b&amp;ising</translation>
    </message>
    <message>
        <source>Noise suppression</source>
        <translation>Peredam bising</translation>
    </message>
    <message>
        <source>&amp;Automatic microphone level</source>
        <translation>Level mi&amp;krofon otomatis</translation>
    </message>
    <message>
        <source>Automatic gain</source>
        <translation>Penguatan otomatis</translation>
    </message>
    <message>
        <source>No sound devices are open: the app cannot play or record.</source>
        <translation>Tidak ada perangkat suara yang terbuka: aplikasi tidak bisa memutar atau merekam.</translation>
    </message>
    <message>
        <source>Sound</source>
        <translation>Suara</translation>
    </message>
    <message>
        <source>&amp;Microphone:</source>
        <translation>&amp;Mikrofon:</translation>
    </message>
    <message>
        <source>Level:</source>
        <translation>Level:</translation>
    </message>
    <message>
        <source>&amp;Speakers:</source>
        <translation>&amp;Pengeras suara:</translation>
    </message>
    <message>
        <source>&amp;Volume:</source>
        <translation>&amp;Volume:</translation>
    </message>
    <message>
        <source>Push-to-talk mode</source>
        <translation>Mode tekan-untuk-bicara</translation>
    </message>
    <message>
        <source>Hold the key to talk</source>
        <translation>Tahan tombol untuk bicara</translation>
    </message>
    <message>
        <source>Press to start, press again to stop (latch)</source>
        <translation>Tekan untuk mulai, tekan lagi untuk berhenti (kunci)</translation>
    </message>
    <message>
        <source>Voice activity mode</source>
        <translation>Mode deteksi suara</translation>
    </message>
    <message>
        <source> ms</source>
        <translation> md</translation>
    </message>
    <message>
        <source>Release tail</source>
        <translation>Jeda setelah dilepas</translation>
    </message>
    <message>
        <source>Key works while other windows have the focus (X11)</source>
        <translation>Tombol berfungsi saat jendela lain aktif (X11)</translation>
    </message>
    <message>
        <source>Global push-to-talk key</source>
        <translation>Tombol tekan-untuk-bicara global</translation>
    </message>
    <message>
        <source>Push-to-talk</source>
        <translation>Tekan-untuk-bicara</translation>
    </message>
    <message>
        <source>&amp;Key:</source>
        <translation>&amp;Tombol:</translation>
    </message>
    <message>
        <source>M&amp;ode:</source>
        <translation>M&amp;ode:</translation>
    </message>
    <message>
        <source>Release &amp;tail:</source>
        <translation>&amp;Jeda setelah dilepas:</translation>
    </message>
    <message>
        <source>Start m&amp;inimised to the tray</source>
        <translation>Mulai diperkecil ke baki sist&amp;em</translation>
    </message>
    <message>
        <source>Host on this compute&amp;r</source>
        <translation>Jadi tuan &amp;rumah di komputer ini</translation>
    </message>
    <message>
        <source>Start minimised to the tray</source>
        <translation>Mulai diperkecil ke baki sistem</translation>
    </message>
    <message>
        <source>Talk when I speak (voice activity &amp;detection) — others see a badge</source>
        <translation>Bicara saat saya bersuara (deteksi s&amp;uara) — yang lain melihat lencana</translation>
    </message>
    <message>
        <source>Host on this computer</source>
        <translation>Jadi tuan rumah di komputer ini</translation>
    </message>
    <message>
        <source>Let others on my &amp;network join</source>
        <translation>Izinkan orang &amp;lain di jaringan saya bergabung</translation>
    </message>
    <message>
        <source>Let others on my network join</source>
        <translation>Izinkan orang lain di jaringan saya bergabung</translation>
    </message>
    <message>
        <source>Rooms hosted here accept people on your local network; invite links carry this computer&apos;s address.</source>
        <translation>Ruang yang dibuat di sini menerima orang di jaringan lokal Anda; tautan undangan memuat alamat komputer ini.</translation>
    </message>
    <message>
        <source>&amp;Connect to a server URL:</source>
        <translation>&amp;Sambung ke URL server:</translation>
    </message>
    <message>
        <source>Connect to a server URL</source>
        <translation>Sambung ke URL server</translation>
    </message>
    <message>
        <source>Server URL</source>
        <translation>URL server</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Bahasa</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Bahasa sistem</translation>
    </message>
    <message>
        <source>Window theme</source>
        <translation>Tema jendela</translation>
    </message>
    <message>
        <source>As the system</source>
        <translation>Mengikuti sistem</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Terang</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Gelap</translation>
    </message>
    <message>
        <source>App</source>
        <translation>Aplikasi</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>B&amp;ahasa:</translation>
    </message>
    <message>
        <source>&amp;Window theme:</source>
        <translation>Tema je&amp;ndela:</translation>
    </message>
    <message>
        <source>A new language or server choice takes effect at the next start.</source>
        <translation>Pilihan bahasa atau server baru berlaku saat aplikasi dimulai lagi.</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>Bawaan sistem</translation>
    </message>
    <message>
        <source>{device} (not connected)</source>
        <translation>{device} (tidak tersambung)</translation>
    </message>
</context>
<context>
    <name>SignInView</name>
    <message>
        <source>Server: {server}</source>
        <translation>Server: {server}</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>Nama pengguna</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Kata sandi</translation>
    </message>
    <message>
        <source>&amp;Log in</source>
        <translation>&amp;Masuk</translation>
    </message>
    <message>
        <source>Log in</source>
        <translation>Masuk</translation>
    </message>
    <message>
        <source>&amp;Create account</source>
        <translation>&amp;Buat akun</translation>
    </message>
    <message>
        <source>Create account</source>
        <translation>Buat akun</translation>
    </message>
    <message>
        <source>Sign-in error</source>
        <translation>Kesalahan masuk</translation>
    </message>
    <message>
        <source>Keyring warning</source>
        <translation>Peringatan gantungan kunci</translation>
    </message>
    <message>
        <source>&amp;Username</source>
        <translation>&amp;Nama pengguna</translation>
    </message>
    <message>
        <source>Pass&amp;word</source>
        <translation>&amp;Kata sandi</translation>
    </message>
    <message>
        <source>Enter a username and a password.</source>
        <translation>Masukkan nama pengguna dan kata sandi.</translation>
    </message>
</context>
<context>
    <name>SpeakerVolumeDialog</name>
    <message>
        <source>Volume of {name}</source>
        <translation>Volume {name}</translation>
    </message>
    <message>
        <source>How loud you hear {name}:</source>
        <translation>Seberapa keras Anda mendengar {name}:</translation>
    </message>
    <message>
        <source>&amp;Reset to 100 %</source>
        <translation>&amp;Kembalikan ke 100 %</translation>
    </message>
    <message>
        <source>Reset volume</source>
        <translation>Kembalikan volume</translation>
    </message>
</context>
<context>
    <name>SpeakerVolumeMenu</name>
    <message>
        <source>&amp;Volume… ({percent} %)</source>
        <translation>&amp;Volume… ({percent} %)</translation>
    </message>
    <message>
        <source>&amp;Reset volume</source>
        <translation>&amp;Kembalikan volume</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Invitation to the stage</source>
        <translation>Undangan ke panggung</translation>
    </message>
    <message>
        <source>Your hand was approved</source>
        <translation>Tangan Anda disetujui</translation>
    </message>
    <message>
        <source>The room has ended</source>
        <translation>Ruang telah berakhir</translation>
    </message>
    <message>
        <source>You are no longer in the room</source>
        <translation>Anda tidak lagi berada di ruang</translation>
    </message>
    <message>
        <source>Scheduled room</source>
        <translation>Ruang terjadwal</translation>
    </message>
    <message>
        <source>Show/hide window</source>
        <translation>Tampilkan/sembunyikan jendela</translation>
    </message>
    <message>
        <source>Mute playback</source>
        <translation>Bisukan suara ruang</translation>
    </message>
    <message>
        <source>Raise hand</source>
        <translation>Angkat tangan</translation>
    </message>
    <message>
        <source>Accept invitation to the stage</source>
        <translation>Terima undangan ke panggung</translation>
    </message>
    <message>
        <source>Decline invitation</source>
        <translation>Tolak undangan</translation>
    </message>
    <message>
        <source>Talk (on air)</source>
        <translation>Bicara (mengudara)</translation>
    </message>
    <message>
        <source>Push-to-talk latch</source>
        <translation>Kunci tekan-untuk-bicara</translation>
    </message>
    <message>
        <source>Leave room</source>
        <translation>Keluar dari ruang</translation>
    </message>
    <message>
        <source>Quit Panggung</source>
        <translation>Tutup Panggung</translation>
    </message>
    <message>
        <source>Lower hand</source>
        <translation>Turunkan tangan</translation>
    </message>
    <message>
        <source>Not in a room</source>
        <translation>Tidak di dalam ruang</translation>
    </message>
    <message>
        <source>Listening</source>
        <translation>Mendengarkan</translation>
    </message>
    <message>
        <source>On stage</source>
        <translation>Di panggung</translation>
    </message>
    <message>
        <source>Talking</source>
        <translation>Berbicara</translation>
    </message>
    <message>
        <source>Muted</source>
        <translation>Dibisukan</translation>
    </message>
    <message>
        <source>Audio interrupted — reconnecting…</source>
        <translation>Audio terputus — menyambung ulang…</translation>
    </message>
</context>
<context>
    <name>UpcomingPanel</name>
    <message>
        <source>Starts</source>
        <translation>Mulai</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Judul</translation>
    </message>
    <message>
        <source>Host</source>
        <translation>Tuan rumah</translation>
    </message>
    <message>
        <source>Reminders</source>
        <translation>Pengingat</translation>
    </message>
    <message>
        <source>&lt;b&gt;Upcoming&lt;/b&gt;</source>
        <translation>&lt;b&gt;Akan datang&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Upcoming rooms</source>
        <translation>Ruang yang akan datang</translation>
    </message>
    <message>
        <source>Nothing scheduled. Plan a room for later!</source>
        <translation>Belum ada jadwal. Rencanakan ruang untuk nanti!</translation>
    </message>
    <message>
        <source>&amp;Schedule…</source>
        <translation>&amp;Jadwalkan…</translation>
    </message>
    <message>
        <source>Schedule a room</source>
        <translation>Jadwalkan ruang</translation>
    </message>
    <message>
        <source>&amp;Remind me</source>
        <translation>&amp;Ingatkan saya</translation>
    </message>
    <message>
        <source>Remind me</source>
        <translation>Ingatkan saya</translation>
    </message>
    <message>
        <source>Add to cal&amp;endar…</source>
        <translation>Tambahkan ke ka&amp;lender…</translation>
    </message>
    <message>
        <source>Save a calendar file</source>
        <translation>Simpan berkas kalender</translation>
    </message>
    <message>
        <source>Start &amp;now</source>
        <translation>Mulai &amp;sekarang</translation>
    </message>
    <message>
        <source>Start now</source>
        <translation>Mulai sekarang</translation>
    </message>
    <message>
        <source>Cancel room</source>
        <translation>Batalkan ruang</translation>
    </message>
    <message>
        <source>Cancel scheduled room</source>
        <translation>Batalkan ruang terjadwal</translation>
    </message>
    <message>
        <source>Don&apos;t &amp;remind me</source>
        <translation>&amp;Jangan ingatkan saya</translation>
    </message>
    <message>
        <source>Could not save {path}: {error}</source>
        <translation>Tidak dapat menyimpan {path}: {error}</translation>
    </message>
    <message>
        <source>Saved the calendar file {path}.</source>
        <translation>Berkas kalender {path} tersimpan.</translation>
    </message>
    <message>
        <source>Calendar files (*.ics)</source>
        <translation>Berkas kalender (*.ics)</translation>
    </message>
</context>
</TS>
