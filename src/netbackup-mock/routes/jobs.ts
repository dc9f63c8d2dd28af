/**
 * `GET /netbackup/admin/jobs[/{jobId}]`: the world's jobs, JSON:API style.
 */
import { collectionReply, type Resource } from '../collection.js';
import type { FieldTypes } from '../filter.js';
import { HttpError, NbErrorCode } from '../http.js';
import type { Route } from '../router.js';
import { jobAttributes } from '../views.js';
import type { Job } from '../world.js';

/** Fields a jobs `filter`/`sort` may name, with their types. */
export const JOB_FIELDS: FieldTypes = {
  jobId: 'number',
  parentJobId: 'number',
  jobType: 'string',
  jobSubType: 'string',
  policyType: 'string',
  policyName: 'string',
  scheduleType: 'string',
  scheduleName: 'string',
  clientName: 'string',
  status: 'number',
  state: 'string',
  percentComplete: 'number',
  kilobytesTransferred: 'number',
  numberOfFiles: 'number',
  try: 'number',
  startTime: 'date',
  endTime: 'date',
  lastUpdateTime: 'date',
};

/** The JSON:API resource of a job. */
export function jobResource(job: Job): Resource {
  const id = String(job.jobId);
  return { type: 'job', id, attributes: jobAttributes(job), links: { self: { href: `/admin/jobs/${id}` } } };
}

/** The jobs routes. */
export const jobRoutes: Route[] = [
  {
    method: 'GET',
    path: '/netbackup/admin/jobs',
    // Newest first, as the NetBackup activity monitor lists them.
    handle: (ctx) => collectionReply(ctx, ctx.world.listJobs(), { path: '/netbackup/admin/jobs', fields: JOB_FIELDS, defaultSort: '-jobId', resource: jobResource }),
  },
  {
    method: 'GET',
    path: '/netbackup/admin/jobs/:jobId',
    handle: (ctx) => {
      const raw = ctx.params.jobId!;
      if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, NbErrorCode.invalidParameter, `Invalid job id '${raw}'`);
      const job = ctx.world.getJob(Number(raw));
      if (!job) throw new HttpError(404, NbErrorCode.notFound, `The job ${raw} was not found: no entity was found`);
      return { status: 200, json: { data: jobResource(job) } };
    },
  },
];
