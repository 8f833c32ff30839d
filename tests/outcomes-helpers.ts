import type { Caller } from './helpers.js';
import { uniq } from './helpers.js';

// Records the outcomes tests build on: departments, people and meetings, each uniquely named.

export async function department(api: Caller, name: string) {
  const code = uniq('D').replace(/[^A-Za-z0-9-]/g, '').slice(-30);
  const res = await api.post('/v1/departments', { name, code });
  if (res.status !== 201) throw new Error(`department: ${res.status} ${res.text}`);
  return res.body as { id: string; name: string };
}

export async function person(api: Caller, name: string, departmentId: string | null = null) {
  const res = await api.post('/v1/people', { name, email: `${uniq('p')}@example.com`, departmentId });
  if (res.status !== 201) throw new Error(`person: ${res.status} ${res.text}`);
  return res.body as { id: string; name: string; email: string; departmentId: string | null };
}

/** A meeting with participants and agenda items; `status` drives it through the lifecycle routes. */
export async function meeting(
  api: Caller,
  opts: {
    title?: string;
    participantIds?: string[];
    agenda?: { title: string; status?: string }[];
    status?: 'draft' | 'scheduled' | 'in_progress' | 'completed' | 'cancelled';
    startsAt?: string;
    initiativeId?: string;
    objective?: string;
  } = {},
) {
  const startsAt = opts.startsAt ?? '2026-03-02T09:00:00.000Z';
  const res = await api.post('/v1/meetings', {
    title: opts.title ?? uniq('Meeting'),
    objective: opts.objective,
    startsAt,
    endsAt: new Date(new Date(startsAt).getTime() + 3600_000).toISOString(),
    timeZone: 'Asia/Shanghai',
    initiativeId: opts.initiativeId,
    participants: (opts.participantIds ?? []).map((personId) => ({ personId })),
    agendaItems: (opts.agenda ?? []).map((a) => ({ title: a.title, ...(a.status ? { status: a.status } : {}) })),
  });
  if (res.status !== 201) throw new Error(`meeting: ${res.status} ${res.text}`);
  const id = res.body.id as string;
  const status = opts.status ?? 'draft';
  const steps: Record<string, string[]> = {
    draft: [],
    scheduled: ['invitations'],
    in_progress: ['invitations', 'start'],
    completed: ['invitations', 'start', 'end'],
    cancelled: ['cancel'],
  };
  for (const step of steps[status]!) {
    const r = await api.post(`/v1/meetings/${id}/${step}`, step === 'cancel' ? { reason: 'test' } : {});
    if (r.status !== 200) throw new Error(`${step}: ${r.status} ${r.text}`);
  }
  const got = await api.get(`/v1/meetings/${id}`);
  return got.body as { id: string; title: string; status: string; agendaItems: { id: string; title: string; status: string; position: number }[] };
}

/** Events of one type, oldest first. */
export async function eventsOf(api: Caller, type: string) {
  const res = await api.get(`/v1/events?type=${encodeURIComponent(type)}&limit=200`);
  if (res.status !== 200) throw new Error(`events: ${res.status} ${res.text}`);
  return res.body.data as { id: string; type: string; data: any }[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}
