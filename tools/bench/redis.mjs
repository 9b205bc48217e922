// Joins a socket.io server to a Redis cluster through
// @socket.io/redis-adapter (its default, the classic pub/sub adapter with
// msgpack), as tools/bench/server.mjs --redis URL does.
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

/** Resolves once both Redis connections are up; the adapter is set on io. */
export async function joinRedis(io, url) {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', (err) => console.error(`server.mjs: redis: ${err.message}`));
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
}
