// The room chat of sio-server. Protocol (every request acknowledged with
// {ok:true} or {ok:false, error}):
//   emit('name', name, ack)            set the name others see
//   emit('join', room, ack)            join a room
//   emit('leave', room, ack)           leave a room
//   emit('message', {room, text}, ack) send to a room this socket is in
//   on('message', {room, from, text, at})
// ?transports=polling or ?transports=websocket forces a transport.
//
// Through a reconnection: socket.io-client keeps what is emitted while
// disconnected and sends it as soon as it connects again, before the
// 'connect' handler runs, so a message emitted then would reach the server
// before the page has joined its rooms again, and be refused. Messages typed
// while the page is not `ready` (connected, and its rooms joined again) wait
// in the page's own outbox instead, and go once the joins are acknowledged.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const options = {};
  const transports = (params.get('transports') || '').split(',').filter(Boolean);
  if (transports.length) options.transports = transports;
  const storedName = (() => { try { return localStorage.getItem('sio-chat-name'); } catch { return null; } })();
  if (params.get('name') || storedName) $('name').value = params.get('name') || storedName;
  if (params.get('room')) $('room').value = params.get('room');
  options.auth = (cb) => { const n = $('name').value.trim(); cb(n ? { name: n } : {}); };

  const socket = io(options);
  const joined = new Set();
  let sentName = null; // the name the server knows, once set
  let ready = false;   // connected, and the rooms joined again
  let connection = 0;  // counts connections: a late rejoin of an older one is ignored
  const outbox = [];   // {room, text} typed while not ready, oldest first

  function setStatus(text, cls) {
    $('status').textContent = text;
    $('status').className = cls || text;
  }
  function showError(text) { $('error').textContent = text || ''; }
  // The engine (and its transport) outlives a disconnection: name it only
  // while connected.
  function showTransport() {
    const engine = socket.io.engine;
    $('transport').textContent = socket.connected && engine && engine.transport ? engine.transport.name : '-';
  }
  function showOutbox() {
    const n = outbox.length;
    $('queued').textContent = n ? n + (n === 1 ? ' message waits' : ' messages wait') + ' for the connection' : '';
  }
  function renderRooms() {
    const box = $('rooms');
    box.replaceChildren();
    for (const room of [...joined].sort()) {
      const el = document.createElement('span');
      el.className = 'room';
      el.dataset.room = room;
      el.textContent = room;
      box.append(el);
    }
  }
  function addMessage(m) {
    const li = document.createElement('li');
    li.className = 'message';
    li.dataset.room = String(m.room);
    li.dataset.from = String(m.from);
    const at = typeof m.at === 'number' ? new Date(m.at) : new Date();
    const parts = [
      ['time', at.toLocaleTimeString() + ' '],
      ['room', '[' + m.room + '] '],
      ['from', String(m.from)],
      ['sep', ': '],
      ['text', String(m.text)],
    ];
    for (const [cls, text] of parts) {
      const span = document.createElement('span');
      span.className = cls;
      span.textContent = text; // never HTML
      li.append(span);
    }
    const list = $('messages');
    list.append(li);
    list.scrollTop = list.scrollHeight;
  }

  // Ask and wait for the acknowledgement; rejects with the server's error.
  function request(event, arg) {
    return new Promise((resolve, reject) => {
      // socket.timeout() is socket.io-client 4.x; with the 2.x client the
      // deadline is kept here.
      let done = false;
      const timer = setTimeout(() => {
        if (!done) { done = true; reject(new Error(event + ': no answer from the server')); }
      }, 10000);
      socket.emit(event, arg, (reply) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!reply || !reply.ok) reject(new Error((reply && reply.error) || event + ' failed'));
        else resolve(reply);
      });
    });
  }
  // Sends the name if it changed since the server last heard it.
  async function syncName() {
    const name = $('name').value.trim();
    if (!name || name === sentName) return;
    await request('name', name);
    sentName = name;
    try { localStorage.setItem('sio-chat-name', name); } catch { /* private mode */ }
  }
  async function act(fn) {
    showError('');
    try { await fn(); } catch (e) { showError(e.message); }
  }

  $('join').addEventListener('click', () => act(async () => {
    const room = $('room').value.trim();
    await syncName();
    await request('join', room);
    joined.add(room);
    renderRooms();
  }));
  $('leave').addEventListener('click', () => act(async () => {
    const room = $('room').value.trim();
    await request('leave', room);
    joined.delete(room);
    renderRooms();
  }));
  // Keeps a message for when the page is ready again.
  function keep(m) {
    outbox.push(m);
    showOutbox();
  }
  // Sends one message now; keeps it for later when the page is not ready, or
  // when older kept messages are still going (flushOutbox takes it then).
  async function sendMessage(m) {
    if (!ready || outbox.length) return keep(m);
    await syncName();
    if (!ready) return keep(m); // the connection went while the name was sent
    await request('message', m);
  }
  // Sends what was kept, oldest first, while the page stays ready.
  async function flushOutbox() {
    while (ready && outbox.length) {
      try { await syncName(); } catch (e) { showError(e.message); }
      if (!ready) break;
      const m = outbox.shift();
      showOutbox();
      try { await request('message', m); } catch (e) { showError(e.message); }
    }
  }
  $('compose').addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(async () => {
      const text = $('text').value;
      if (!text) return;
      await sendMessage({ room: $('room').value.trim(), text });
      $('text').value = ''; // sent or kept; left as it was when refused
    });
  });

  socket.on('connect', () => {
    setStatus('connected');
    showError(''); // what went wrong before this connection is over
    showTransport();
    socket.io.engine.on('upgrade', showTransport);
    // A new connection (after a reconnection) is in no room and may not know the name.
    sentName = null;
    const rooms = [...joined];
    joined.clear();
    renderRooms();
    const current = ++connection;
    Promise.all(rooms.map((room) => request('join', room).then(
      () => { joined.add(room); renderRooms(); }, (e) => showError(e.message)))).then(() => {
      if (current !== connection || !socket.connected) return;
      ready = true;
      flushOutbox();
    });
  });
  socket.on('disconnect', (reason) => {
    ready = false;
    // The client comes back by itself unless the server or the page ended it.
    const over = reason === 'io server disconnect' || reason === 'io client disconnect';
    setStatus(over ? 'disconnected' : 'reconnecting…', over ? 'disconnected' : 'reconnecting');
    showTransport();
  });
  socket.io.on('reconnect_attempt', () => setStatus('reconnecting…', 'reconnecting'));
  socket.io.on('reconnect_failed', () => setStatus('disconnected'));
  socket.on('connect_error', (e) => {
    if (!socket.connected) setStatus('reconnecting…', 'reconnecting');
    showError(e.message);
  });
  socket.on('message', addMessage);
})();
