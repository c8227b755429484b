// What operations done on a container from outside its lifecycle (cp,
// commit) need of the engine: freezing its processes while they work, and
// naming the container in the events they emit.
import type { Container } from './container.ts';
import type { Engine } from './engine.ts';

/** The container's event attributes, as the engine gives them. */
export function containerAttrs(c: Container, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(c.record.Config.Labels ?? {}), image: c.record.Config.Image ?? '', name: c.name, ...extra };
}

/**
 * Freezes a running container's processes (runc pause, under the lock the
 * caller holds); the returned thaw undoes it. Null when there was nothing to
 * freeze: the container is not running, is paused already (and stays so),
 * or its processes are gone.
 */
export async function freeze(engine: Engine, c: Container): Promise<(() => Promise<void>) | null> {
  if (!c.running || c.record.State.Paused) return null;
  if (!(await engine.runc.pause(c.id).then(() => true, () => false))) return null;
  return () => engine.runc.resume(c.id).catch(() => {});
}
