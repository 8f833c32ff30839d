import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';
import { Id, Timestamp } from '../platform/schemas.js';
import { MaterialSummary } from './summary.js';

export const MaterialShared = z
  .object({
    material: MaterialSummary,
    meeting: z.object({ id: Id, title: z.string(), startsAt: Timestamp }),
    contentVersion: z.number().int().describe('The content version just shared (1 for a new material).'),
    version: z.number().int().describe('The material\'s version after the change; drop an event older than one already seen.'),
  })
  .meta({ id: 'MaterialSharedData' });

export const materialEventTypes: EventTypeDef[] = [
  {
    type: 'material.shared',
    description:
      'A pre-read (a link or a file, or a new version of one) was shared for a meeting whose invitations are already out. Materials shared before the invitations travel in `meeting.invitation.sent` instead. Download a file from `/v1/materials/{id}/content`.',
    data: MaterialShared,
    example: {
      material: {
        id: '0b8f6f43-3c1e-4d55-9d1a-6f1d2b7f4a10',
        title: 'Q3 budget proposal',
        kind: 'file',
        url: null,
        fileName: '季度计划.pdf',
        contentType: 'application/pdf',
        sizeBytes: 482133,
        sha256: '9f2c1a4b0e6d8f7a3c5b1e2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a',
        agendaItemId: '5d3c2b1a-9e8f-4a7b-8c6d-1e2f3a4b5c6d',
        required: true,
        contentVersion: 2,
        late: false,
        sharedAt: '2026-03-02T08:15:00.000Z',
        version: 3,
      },
      meeting: { id: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', title: 'Weekly cross-department sync', startsAt: '2026-03-04T09:00:00.000Z' },
      contentVersion: 2,
      version: 3,
    },
  },
];
